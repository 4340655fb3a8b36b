import { type Kysely, sql } from "kysely";

/**
 * NIRs are identifiers, compared byte for byte: with the "C" collation their unique index is built and
 * probed without the locale's string comparison (twice as fast to build under a C.UTF-8 database default).
 * Comparisons with default-collation text (staging tables, parameters) take this column's collation.
 *
 * A roll's bulk merge (app/domain/rolls/merge.server.ts) inserts up to millions of persons with the
 * statement-level rollup trigger disabled: materialising a million-row transition table costs seconds.
 * It then records the same deltas in one pass over the rows it inserted (ids above `after_id`), with this
 * function, which mirrors lifecycle_rollup_insert() (2026_11_23_1500_lifecycle) for a range of ids.
 * Frozen in time: never import application code here.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    ALTER TABLE person ALTER COLUMN nir TYPE char(15) COLLATE "C";
    CREATE FUNCTION lifecycle_rollup_inserted_after(after_id bigint) RETURNS void LANGUAGE plpgsql AS $$
    BEGIN
      CREATE TEMP TABLE lifecycle_bulk_counts ON COMMIT DROP AS
        SELECT department, coalesce(wave_id, 0) AS wave_id, state,
               (state_changed_at AT TIME ZONE 'Europe/Paris')::date AS changed_day,
               CASE WHEN state = 'notified' THEN (window_ends_at AT TIME ZONE 'Europe/Paris')::date END AS window_day,
               count(*) AS n
        FROM person WHERE id > after_id
        GROUP BY 1, 2, 3, 4, 5;
      INSERT INTO funnel_current_delta (department, wave_id, state, n)
        SELECT department, wave_id, state, sum(n) FROM lifecycle_bulk_counts GROUP BY 1, 2, 3;
      INSERT INTO funnel_daily_delta (day, department, wave_id, state_from, state_to, n)
        SELECT changed_day, department, wave_id, 'new', state, sum(n) FROM lifecycle_bulk_counts GROUP BY 1, 2, 3, 5;
      INSERT INTO deadline_pending_delta (day, department, wave_id, n)
        SELECT window_day, department, wave_id, sum(n) FROM lifecycle_bulk_counts
        WHERE window_day IS NOT NULL GROUP BY 1, 2, 3;
      DROP TABLE lifecycle_bulk_counts;
    END $$;
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`
    DROP FUNCTION IF EXISTS lifecycle_rollup_inserted_after(bigint);
    ALTER TABLE person ALTER COLUMN nir TYPE char(15) COLLATE "default";
  `.execute(db);
}
