import { type Kysely, sql } from "kysely";

// Frozen in time: this file never imports application code.

/**
 * The six-week window: portal idempotency and anti-replay, verify-code lockout, and the rollups that
 * dashboards read — views `funnel_current`, `funnel_daily`, `deadline_pending` over a `*_rollup` table plus
 * the `*_delta` rows not folded yet. STATEMENT-level triggers with transition tables on `person` append one
 * delta row per key and statement, so every writer (waves' bulk notify, the deadline sweep, the portal, the
 * helpline, imports) is covered, and no writer ever waits on a hot rollup row.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    -- The wave that last notified the person (set by the notify transition); 0/NULL = outside any wave.
    ALTER TABLE person ADD COLUMN IF NOT EXISTS wave_id bigint;

    -- Signatures already accepted, kept until they could no longer pass the clock-skew check.
    CREATE TABLE portal_signature (
      signature_hash text PRIMARY KEY,
      expires_at timestamptz NOT NULL
    );
    CREATE INDEX portal_signature_expires ON portal_signature (expires_at);

    -- One row per portal event id: a replay returns the stored first result.
    CREATE TABLE portal_event (
      event_id text PRIMARY KEY,
      payload_hash text NOT NULL,
      type text NOT NULL,
      person_id bigint,
      at timestamptz,
      status text NOT NULL CHECK (status IN ('applied','refused','unknown_nir','invalid')),
      code text,
      reason text,
      person_event_id bigint,
      received_at timestamptz NOT NULL DEFAULT now()
    );
    CREATE INDEX portal_event_person ON portal_event (person_id) WHERE person_id IS NOT NULL;

    -- Failed verify-code attempts per NIR (keyed hash, never the clear NIR).
    CREATE TABLE portal_verify_guard (
      nir_hash text PRIMARY KEY,
      failures int NOT NULL DEFAULT 0,
      first_failure_at timestamptz NOT NULL DEFAULT now(),
      locked_until timestamptz
    );

    CREATE TABLE funnel_current_rollup (
      department varchar(3) NOT NULL,
      wave_id bigint NOT NULL,
      state text NOT NULL,
      n bigint NOT NULL,
      PRIMARY KEY (department, wave_id, state)
    );

    CREATE TABLE funnel_daily_rollup (
      day date NOT NULL,
      department varchar(3) NOT NULL,
      wave_id bigint NOT NULL,
      state_from text NOT NULL,
      state_to text NOT NULL,
      n bigint NOT NULL,
      PRIMARY KEY (day, department, wave_id, state_from, state_to)
    );

    -- Persons still notified, by the Paris day their window ends: the deadline calendar and planner.
    CREATE TABLE deadline_pending_rollup (
      day date NOT NULL,
      department varchar(3) NOT NULL,
      wave_id bigint NOT NULL,
      n bigint NOT NULL,
      PRIMARY KEY (day, department, wave_id)
    );

    -- Writers never update a rollup row (hot rows would serialise every transition of a department): the
    -- triggers APPEND signed deltas here, without locks; lifecycle_rollup_compact() folds them into the
    -- *_rollup tables (every minute, job funnel-compact); the views below add what is not folded yet.
    CREATE TABLE funnel_current_delta (department varchar(3) NOT NULL, wave_id bigint NOT NULL, state text NOT NULL, n bigint NOT NULL);
    CREATE TABLE funnel_daily_delta (
      day date NOT NULL, department varchar(3) NOT NULL, wave_id bigint NOT NULL, state_from text NOT NULL,
      state_to text NOT NULL, n bigint NOT NULL
    );
    CREATE TABLE deadline_pending_delta (day date NOT NULL, department varchar(3) NOT NULL, wave_id bigint NOT NULL, n bigint NOT NULL);

    CREATE VIEW funnel_current AS
      SELECT department, wave_id, state, sum(n)::bigint AS n FROM (
        SELECT department, wave_id, state, n FROM funnel_current_rollup
        UNION ALL SELECT department, wave_id, state, n FROM funnel_current_delta
      ) x GROUP BY 1, 2, 3;
    CREATE VIEW funnel_daily AS
      SELECT day, department, wave_id, state_from, state_to, sum(n)::bigint AS n FROM (
        SELECT day, department, wave_id, state_from, state_to, n FROM funnel_daily_rollup
        UNION ALL SELECT day, department, wave_id, state_from, state_to, n FROM funnel_daily_delta
      ) x GROUP BY 1, 2, 3, 4, 5;
    CREATE VIEW deadline_pending AS
      SELECT day, department, wave_id, sum(n)::bigint AS n FROM (
        SELECT day, department, wave_id, n FROM deadline_pending_rollup
        UNION ALL SELECT day, department, wave_id, n FROM deadline_pending_delta
      ) x GROUP BY 1, 2, 3;

    -- Folds the deltas into the rollups; one compactor at a time (others return at once).
    CREATE FUNCTION lifecycle_rollup_compact() RETURNS bigint LANGUAGE plpgsql AS $$
    DECLARE folded bigint := 0; k bigint;
    BEGIN
      IF NOT pg_try_advisory_xact_lock(hashtext('lifecycle_rollup_compact')) THEN RETURN 0; END IF;
      WITH d AS (DELETE FROM funnel_current_delta RETURNING *), g AS (
        INSERT INTO funnel_current_rollup (department, wave_id, state, n)
        SELECT department, wave_id, state, sum(n) FROM d GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
        ON CONFLICT (department, wave_id, state) DO UPDATE SET n = funnel_current_rollup.n + EXCLUDED.n RETURNING 1
      ) SELECT count(*) INTO k FROM g;
      folded := folded + k;
      WITH d AS (DELETE FROM funnel_daily_delta RETURNING *), g AS (
        INSERT INTO funnel_daily_rollup (day, department, wave_id, state_from, state_to, n)
        SELECT day, department, wave_id, state_from, state_to, sum(n) FROM d GROUP BY 1, 2, 3, 4, 5 ORDER BY 1, 2, 3, 4, 5
        ON CONFLICT (day, department, wave_id, state_from, state_to) DO UPDATE SET n = funnel_daily_rollup.n + EXCLUDED.n RETURNING 1
      ) SELECT count(*) INTO k FROM g;
      folded := folded + k;
      WITH d AS (DELETE FROM deadline_pending_delta RETURNING *), g AS (
        INSERT INTO deadline_pending_rollup (day, department, wave_id, n)
        SELECT day, department, wave_id, sum(n) FROM d GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
        ON CONFLICT (day, department, wave_id) DO UPDATE SET n = deadline_pending_rollup.n + EXCLUDED.n RETURNING 1
      ) SELECT count(*) INTO k FROM g;
      RETURN folded + k;
    END $$;

    CREATE FUNCTION lifecycle_rollup_insert() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      INSERT INTO funnel_current_delta (department, wave_id, state, n)
        SELECT department, coalesce(wave_id, 0), state, count(*) FROM new_rows
        GROUP BY 1, 2, 3;
      INSERT INTO funnel_daily_delta (day, department, wave_id, state_from, state_to, n)
        SELECT (state_changed_at AT TIME ZONE 'Europe/Paris')::date, department, coalesce(wave_id, 0), 'new', state, count(*)
        FROM new_rows GROUP BY 1, 2, 3, 5;
      INSERT INTO deadline_pending_delta (day, department, wave_id, n)
        SELECT (window_ends_at AT TIME ZONE 'Europe/Paris')::date, department, coalesce(wave_id, 0), count(*)
        FROM new_rows WHERE state = 'notified' AND window_ends_at IS NOT NULL
        GROUP BY 1, 2, 3;
      RETURN NULL;
    END $$;

    -- Current counts need no pairing of old and new rows: -old +new per key cancels for untouched rows.
    -- Only the daily transitions (from → to) join the two transition tables, on the rows whose state moved.
    CREATE FUNCTION lifecycle_rollup_update() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      INSERT INTO funnel_current_delta (department, wave_id, state, n)
        SELECT department, wave_id, state, sum(d) FROM (
          SELECT department, coalesce(wave_id, 0) AS wave_id, state, -count(*) AS d FROM old_rows GROUP BY 1, 2, 3
          UNION ALL
          SELECT department, coalesce(wave_id, 0), state, count(*) FROM new_rows GROUP BY 1, 2, 3
        ) moves
        GROUP BY 1, 2, 3 HAVING sum(d) <> 0;

      -- The transitions form a DAG, so a statement that moves any state changes some state's total: when
      -- no total moved (an address update of a whole roll), the join of old and new rows is skipped.
      IF EXISTS (
        SELECT 1 FROM (SELECT state, count(*) AS c FROM old_rows GROUP BY state) o
        FULL JOIN (SELECT state, count(*) AS c FROM new_rows GROUP BY state) n USING (state)
        WHERE o.c IS DISTINCT FROM n.c
      ) THEN
        INSERT INTO funnel_daily_delta (day, department, wave_id, state_from, state_to, n)
          SELECT (n.state_changed_at AT TIME ZONE 'Europe/Paris')::date, n.department, coalesce(n.wave_id, 0), o.state, n.state, count(*)
          FROM old_rows o JOIN new_rows n ON n.id = o.id
          WHERE o.state <> n.state
          GROUP BY 1, 2, 3, 4, 5;
      END IF;

      INSERT INTO deadline_pending_delta (day, department, wave_id, n)
        SELECT day, department, wave_id, sum(d) FROM (
          SELECT (window_ends_at AT TIME ZONE 'Europe/Paris')::date AS day, department, coalesce(wave_id, 0) AS wave_id,
                 -count(*) AS d
            FROM old_rows WHERE state = 'notified' AND window_ends_at IS NOT NULL GROUP BY 1, 2, 3
          UNION ALL
          SELECT (window_ends_at AT TIME ZONE 'Europe/Paris')::date, department, coalesce(wave_id, 0), count(*)
            FROM new_rows WHERE state = 'notified' AND window_ends_at IS NOT NULL GROUP BY 1, 2, 3
        ) moves
        GROUP BY 1, 2, 3 HAVING sum(d) <> 0;
      RETURN NULL;
    END $$;

    CREATE FUNCTION lifecycle_rollup_delete() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      INSERT INTO funnel_current_delta (department, wave_id, state, n)
        SELECT department, coalesce(wave_id, 0), state, -count(*) FROM old_rows
        GROUP BY 1, 2, 3;
      INSERT INTO deadline_pending_delta (day, department, wave_id, n)
        SELECT (window_ends_at AT TIME ZONE 'Europe/Paris')::date, department, coalesce(wave_id, 0), -count(*)
        FROM old_rows WHERE state = 'notified' AND window_ends_at IS NOT NULL
        GROUP BY 1, 2, 3;
      RETURN NULL;
    END $$;

    CREATE FUNCTION lifecycle_rollup_truncate() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      DELETE FROM funnel_current_rollup;
      DELETE FROM deadline_pending_rollup;
      DELETE FROM funnel_current_delta;
      DELETE FROM deadline_pending_delta;
      RETURN NULL;
    END $$;

    -- A notification records its wave on the person without the notifier's help: the person's active
    -- wave_member row (waves context) names it. Row-level, but only for rows whose notification changes.
    CREATE FUNCTION person_notify_wave() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF NEW.wave_id IS NOT DISTINCT FROM OLD.wave_id THEN
        NEW.wave_id := coalesce(
          (SELECT m.wave_id FROM wave_member m WHERE m.person_id = NEW.id AND m.active AND m.wave_id IS NOT NULL),
          NEW.wave_id);
      END IF;
      RETURN NEW;
    END $$;
    CREATE TRIGGER person_notify_wave BEFORE UPDATE OF state, notified_at ON person
      FOR EACH ROW WHEN (NEW.state = 'notified' AND NEW.notified_at IS DISTINCT FROM OLD.notified_at)
      EXECUTE FUNCTION person_notify_wave();

    -- Transition tables carry no statistics: wild estimates would make every bulk statement pay for JIT.
    ALTER FUNCTION lifecycle_rollup_insert() SET jit = off;
    ALTER FUNCTION lifecycle_rollup_update() SET jit = off;
    ALTER FUNCTION lifecycle_rollup_delete() SET jit = off;

    CREATE TRIGGER person_rollup_insert AFTER INSERT ON person
      REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION lifecycle_rollup_insert();
    CREATE TRIGGER person_rollup_update AFTER UPDATE ON person
      REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION lifecycle_rollup_update();
    CREATE TRIGGER person_rollup_delete AFTER DELETE ON person
      REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION lifecycle_rollup_delete();
    CREATE TRIGGER person_rollup_truncate AFTER TRUNCATE ON person
      FOR EACH STATEMENT EXECUTE FUNCTION lifecycle_rollup_truncate();

    -- Persons that exist before this migration.
    INSERT INTO funnel_current_rollup (department, wave_id, state, n)
      SELECT department, coalesce(wave_id, 0), state, count(*) FROM person GROUP BY 1, 2, 3;
    INSERT INTO deadline_pending_rollup (day, department, wave_id, n)
      SELECT (window_ends_at AT TIME ZONE 'Europe/Paris')::date, department, coalesce(wave_id, 0), count(*)
      FROM person WHERE state = 'notified' AND window_ends_at IS NOT NULL GROUP BY 1, 2, 3;
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`
    DROP TRIGGER IF EXISTS person_rollup_insert ON person;
    DROP TRIGGER IF EXISTS person_rollup_update ON person;
    DROP TRIGGER IF EXISTS person_rollup_delete ON person;
    DROP TRIGGER IF EXISTS person_rollup_truncate ON person;
    DROP TRIGGER IF EXISTS person_notify_wave ON person;
    DROP FUNCTION IF EXISTS person_notify_wave();
    DROP FUNCTION IF EXISTS lifecycle_rollup_insert(), lifecycle_rollup_update(), lifecycle_rollup_delete(),
      lifecycle_rollup_truncate();
    DROP FUNCTION IF EXISTS lifecycle_rollup_compact();
    DROP VIEW IF EXISTS funnel_current, funnel_daily, deadline_pending;
    DROP TABLE IF EXISTS funnel_current_delta, funnel_daily_delta, deadline_pending_delta;
    DROP TABLE IF EXISTS deadline_pending_rollup, funnel_daily_rollup, funnel_current_rollup, portal_verify_guard, portal_event,
      portal_signature;
    ALTER TABLE person DROP COLUMN IF EXISTS wave_id;
  `.execute(db);
}
