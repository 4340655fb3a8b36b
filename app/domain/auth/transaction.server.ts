import type { Kysely, Transaction } from "kysely";
import type { Database } from "../../../db/schema";

/** Runs `work` in the caller's transaction when there is one, else in a new one: use cases stay atomic
 * whether a route calls them directly or inside a larger transaction. */
export function inTransaction<T>(
  db: Kysely<Database>,
  work: (trx: Kysely<Database> | Transaction<Database>) => Promise<T>,
): Promise<T> {
  return db.isTransaction ? work(db) : db.transaction().execute(work);
}
