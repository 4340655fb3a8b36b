import { type Kysely, sql } from "kysely";
import { expect } from "vitest";
import type { Database } from "../../db/schema";

/** The rollups must equal what a full GROUP BY over persons says (rows at 0 are ignored). */
export async function expectRollupsMatchPersons(db: Kysely<Database>): Promise<void> {
  const current = await sql<{ k: string; n: number }>`
    SELECT department || '/' || wave_id || '/' || state AS k, n::int AS n FROM funnel_current WHERE n <> 0 ORDER BY 1
  `.execute(db);
  const truth = await sql<{ k: string; n: number }>`
    SELECT department || '/' || coalesce(wave_id, 0) || '/' || state AS k, count(*)::int AS n FROM person GROUP BY 1 ORDER BY 1
  `.execute(db);
  expect(current.rows).toEqual(truth.rows);
  const pending = await sql<{ k: string; n: number }>`
    SELECT to_char(day, 'YYYY-MM-DD') || '/' || department || '/' || wave_id AS k, n::int AS n
    FROM deadline_pending WHERE n <> 0 ORDER BY 1
  `.execute(db);
  const pendingTruth = await sql<{ k: string; n: number }>`
    SELECT to_char((window_ends_at AT TIME ZONE 'Europe/Paris')::date, 'YYYY-MM-DD') || '/' || department || '/' || coalesce(wave_id, 0) AS k,
           count(*)::int AS n
    FROM person WHERE state = 'notified' AND window_ends_at IS NOT NULL GROUP BY 1 ORDER BY 1
  `.execute(db);
  expect(pending.rows).toEqual(pendingTruth.rows);
}

export async function stateCounts(db: Kysely<Database>): Promise<Record<string, number>> {
  const rows = await sql<{
    state: string;
    n: number;
  }>`SELECT state, count(*)::int AS n FROM person GROUP BY state`.execute(db);
  return Object.fromEntries(rows.rows.map((r) => [r.state, Number(r.n)]));
}

export const DAY_MS = 24 * 3600 * 1000;
