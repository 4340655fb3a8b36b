import { type Kysely, sql } from "kysely";

/**
 * What a roll's first load pays after its COPY, made cheaper (measured on 1 M persons, PostgreSQL 15,
 * C.UTF-8 database default). Cheaper keys for the person indexes it rebuilds by sorting:
 * - the search by name asks for the birth date too (persons page and helpline console both require it), so
 *   the name index leads with the birth date: a sort on a date first, on the lowered name only among the
 *   few persons born the same day (~0.8 s instead of ~1.6 s to build; the same exact lookups);
 * - department and state are codes, compared byte for byte: in the "C" collation their sort uses
 *   abbreviated keys instead of the locale's comparison. Comparisons with default-collation text take
 *   these columns' collation, as for person.nir (2026_11_23_1800).
 * And lifecycle_rollup_inserted_after (2026_11_23_1800) groups the rows by their raw values first, then
 * turns the few groups' timestamps into Paris days: the same deltas, without a time-zone conversion per
 * row (0.65 s instead of 1.15 s for 1 M freshly inserted rows, which all share one state_changed_at).
 * Frozen in time: never import application code here.
 */
/** The function's end, unchanged: the three delta tables from the grouped counts. */
const RECORD_DELTAS = sql.raw(`
      INSERT INTO funnel_current_delta (department, wave_id, state, n)
        SELECT department, wave_id, state, sum(n) FROM lifecycle_bulk_counts GROUP BY 1, 2, 3;
      INSERT INTO funnel_daily_delta (day, department, wave_id, state_from, state_to, n)
        SELECT changed_day, department, wave_id, 'new', state, sum(n) FROM lifecycle_bulk_counts GROUP BY 1, 2, 3, 5;
      INSERT INTO deadline_pending_delta (day, department, wave_id, n)
        SELECT window_day, department, wave_id, sum(n) FROM lifecycle_bulk_counts
        WHERE window_day IS NOT NULL GROUP BY 1, 2, 3;
      DROP TABLE lifecycle_bulk_counts;
    END $$;`);

/** As 2026_11_23_1500_lifecycle created it. */
const NOTIFY_WAVE_TRIGGER = sql.raw(`
    CREATE TRIGGER person_notify_wave BEFORE UPDATE OF state, notified_at ON person
      FOR EACH ROW WHEN (NEW.state = 'notified' AND NEW.notified_at IS DISTINCT FROM OLD.notified_at)
      EXECUTE FUNCTION person_notify_wave();`);

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    DROP INDEX IF EXISTS person_name_birth;
    CREATE INDEX person_birth_name ON person (birth_date, lower(last_name));
    -- A trigger whose WHEN reads state pins its type: set aside while the column changes, then the same.
    DROP TRIGGER person_notify_wave ON person;
    ALTER TABLE person
      ALTER COLUMN department TYPE varchar(3) COLLATE "C",
      ALTER COLUMN state TYPE text COLLATE "C";
    ${NOTIFY_WAVE_TRIGGER}
    CREATE OR REPLACE FUNCTION lifecycle_rollup_inserted_after(after_id bigint) RETURNS void LANGUAGE plpgsql AS $$
    BEGIN
      CREATE TEMP TABLE lifecycle_bulk_counts ON COMMIT DROP AS
        SELECT department, wave_id, state,
               (changed AT TIME ZONE 'Europe/Paris')::date AS changed_day,
               (window_end AT TIME ZONE 'Europe/Paris')::date AS window_day,
               sum(n) AS n
        FROM (SELECT department, coalesce(wave_id, 0) AS wave_id, state, state_changed_at AS changed,
                     CASE WHEN state = 'notified' THEN window_ends_at END AS window_end, count(*) AS n
              FROM person WHERE id > after_id
              GROUP BY 1, 2, 3, 4, 5) raw
        GROUP BY 1, 2, 3, 4, 5;
    ${RECORD_DELTAS}
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`
    DROP TRIGGER person_notify_wave ON person;
    ALTER TABLE person
      ALTER COLUMN department TYPE varchar(3) COLLATE "default",
      ALTER COLUMN state TYPE text COLLATE "default";
    ${NOTIFY_WAVE_TRIGGER}
    DROP INDEX IF EXISTS person_birth_name;
    CREATE INDEX person_name_birth ON person (lower(last_name), birth_date);
    CREATE OR REPLACE FUNCTION lifecycle_rollup_inserted_after(after_id bigint) RETURNS void LANGUAGE plpgsql AS $$
    BEGIN
      CREATE TEMP TABLE lifecycle_bulk_counts ON COMMIT DROP AS
        SELECT department, coalesce(wave_id, 0) AS wave_id, state,
               (state_changed_at AT TIME ZONE 'Europe/Paris')::date AS changed_day,
               CASE WHEN state = 'notified' THEN (window_ends_at AT TIME ZONE 'Europe/Paris')::date END AS window_day,
               count(*) AS n
        FROM person WHERE id > after_id
        GROUP BY 1, 2, 3, 4, 5;
    ${RECORD_DELTAS}
  `.execute(db);
}
