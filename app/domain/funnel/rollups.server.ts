import { sql } from "kysely";
import type { DB } from "../../../db/connection";

/**
 * Folds the deltas the person triggers append (funnel_current_delta, funnel_daily_delta,
 * deadline_pending_delta) into the rollup tables. Readers use the public views, so results are exact
 * whether or not this has run; it only keeps the deltas small. One compactor at a time (advisory lock).
 */
export async function compactRollups(db: DB): Promise<number> {
  const r = await sql<{ folded: number }>`SELECT lifecycle_rollup_compact() AS folded`.execute(db);
  return Number(r.rows[0]?.folded ?? 0);
}
