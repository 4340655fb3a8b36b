import { sql } from "kysely";
import type { DB } from "./connection";

/** SQLSTATE of a unique constraint's violation. */
export const DUPLICATE_KEY = "23505";
/** SQLSTATE of a lock not obtained within `lock_timeout`. */
export const LOCK_NOT_AVAILABLE = "55P03";

/**
 * Runs `statements` in a savepoint of the caller's transaction. When they fail with the SQLSTATE
 * `expected` (a lock timeout, a duplicate key), the savepoint undoes them and the answer is false; any other
 * error goes up. Shared by the roll merge (unique NIR proofs, bulk locks) and the codes (insert before
 * revoking).
 */
export async function attempt(
  trx: DB,
  expected: string,
  statements: () => Promise<unknown>,
): Promise<boolean> {
  await sql`SAVEPOINT attempt`.execute(trx);
  try {
    await statements();
    await sql`RELEASE SAVEPOINT attempt`.execute(trx);
    return true;
  } catch (error) {
    if ((error as { code?: string }).code !== expected) throw error;
    await sql`ROLLBACK TO SAVEPOINT attempt`.execute(trx);
    return false;
  }
}
