import type PgBoss from "pg-boss";
import type { AppConfig } from "../app/config/config.server";
import type { Logger } from "../app/config/logger.server";
import type { DB } from "../db/connection";

/** What a job handler gets: the same handles as a request, never a route. */
export interface JobContext {
  db: DB;
  boss: PgBoss;
  config: AppConfig;
  logger: Logger;
}

export interface JobHandler<T = object> {
  queue: string;
  options?: PgBoss.WorkOptions;
  handle(jobs: PgBoss.Job<T>[], ctx: JobContext): Promise<unknown>;
}
