import type PgBoss from "pg-boss";
import type { DB } from "../db/connection";
import type { AppConfig } from "./config/config.server";
import type { Logger } from "./config/logger.server";

/** What the HTTP server hands to every loader and action (one DB handle, one job client). */
export interface AppContext {
  db: DB;
  boss: PgBoss;
  config: AppConfig;
  logger: Logger;
  requestId: string;
  ip: string;
  cspNonce: string;
}

declare module "@remix-run/server-runtime" {
  interface AppLoadContext extends AppContext {}
}
