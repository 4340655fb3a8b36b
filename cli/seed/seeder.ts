import type { Kysely } from "kysely";
import type { AppConfig } from "../../app/config/config.server";
import type { Database } from "../../db/schema";

/** A named piece of demo data, applied once per database (a marker in app_setting remembers it). */
export interface Seeder {
  name: string;
  /**
   * `db` is the seeder's transaction; `root` the top-level handle, for the rare seeder that must run a
   * use case managing its own transactions and connections (the demo roll goes through the real importer).
   */
  run(db: Kysely<Database>, config: AppConfig, root?: Kysely<Database>): Promise<void>;
}
