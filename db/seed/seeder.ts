import type { Kysely } from "kysely";
import type { AppConfig } from "../../app/config/config.server";
import type { Database } from "../schema";

/** A named piece of demo data, applied once per database (a marker in app_setting remembers it). */
export interface Seeder {
  name: string;
  run(db: Kysely<Database>, config: AppConfig): Promise<void>;
}
