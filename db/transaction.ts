import type { DB } from "./connection";

/**
 * Runs `work` in the caller's transaction when there is one, else in a new one: use cases stay atomic
 * whether a route or a job calls them directly or inside a larger transaction. The one such helper
 * (auth, admin and helpline use cases alike).
 */
export function inTransaction<T>(db: DB, work: (trx: DB) => Promise<T>): Promise<T> {
  return db.isTransaction ? work(db) : db.transaction().execute(work);
}
