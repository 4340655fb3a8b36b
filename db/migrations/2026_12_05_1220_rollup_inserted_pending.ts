import { type Kysely, sql } from "kysely";

/**
 * The lifecycle rollups of new `pending` persons given by their count per department, for a roll's first
 * load (app/domain/rolls/first-load.server.ts), which knows those counts from its parse: the deltas
 * lifecycle_rollup_insert() (2026_11_23_1500_lifecycle) records for such rows — current counts, and the
 * 'new' → 'pending' transitions of the day they changed (now, in Paris) — without a pass over a million rows.
 * Frozen in time: never import application code here.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    CREATE FUNCTION lifecycle_rollup_inserted_pending(departments text[], counts bigint[])
    RETURNS void LANGUAGE sql AS $$
      INSERT INTO funnel_current_delta (department, wave_id, state, n)
        SELECT d, 0, 'pending', n FROM unnest(departments, counts) AS c(d, n) WHERE n <> 0;
      INSERT INTO funnel_daily_delta (day, department, wave_id, state_from, state_to, n)
        SELECT (now() AT TIME ZONE 'Europe/Paris')::date, d, 0, 'new', 'pending', n
        FROM unnest(departments, counts) AS c(d, n) WHERE n <> 0;
    $$;
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DROP FUNCTION IF EXISTS lifecycle_rollup_inserted_pending(text[], bigint[])`.execute(db);
}
