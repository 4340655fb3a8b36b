import { type Kysely, sql } from "kysely";

/**
 * Worker presence (docs/decisions/026-worker-presence.md): each worker process registers a row and holds a
 * session advisory lock keyed on its id for its whole life; `worker_job` says which pg-boss job each one is
 * running, so a reaper can hand a dead worker's jobs back at once instead of waiting for pg-boss's expiry;
 * `worker_handback` keeps what was handed back, for the Jobs page. Frozen in time: never import
 * application code here.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    CREATE TABLE worker (
      id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      host text NOT NULL,
      pid integer NOT NULL,
      started_at timestamptz NOT NULL DEFAULT now(),
      heartbeat_at timestamptz NOT NULL DEFAULT now()
    );
    CREATE TABLE worker_job (
      job_id uuid PRIMARY KEY,
      worker_id integer NOT NULL REFERENCES worker (id) ON DELETE CASCADE,
      queue text NOT NULL,
      started_at timestamptz NOT NULL DEFAULT now()
    );
    CREATE INDEX worker_job_worker ON worker_job (worker_id);
    CREATE TABLE worker_handback (
      id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      worker_id integer NOT NULL,
      host text NOT NULL,
      pid integer NOT NULL,
      job_id uuid NOT NULL,
      queue text NOT NULL,
      outcome text NOT NULL CHECK (outcome IN ('retry', 'failed', 'gone')),
      job_started_at timestamptz NOT NULL,
      handed_back_at timestamptz NOT NULL DEFAULT now()
    );
    CREATE INDEX worker_handback_at ON worker_handback (handed_back_at DESC);
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`
    DROP TABLE IF EXISTS worker_handback;
    DROP TABLE IF EXISTS worker_job;
    DROP TABLE IF EXISTS worker;
  `.execute(db);
}
