import { type Kysely, sql } from "kysely";

// Frozen in time: this file never imports application code.

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    -- One imported file of insured persons and its journey through the import state machine.
    CREATE TABLE roll (
      id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      file_name text NOT NULL,
      file_path text NOT NULL,
      size_bytes bigint NOT NULL DEFAULT 0,
      sha256 char(64),
      source text NOT NULL DEFAULT 'upload' CHECK (source IN ('upload','cli','seed')),
      state text NOT NULL DEFAULT 'uploaded'
        CHECK (state IN ('uploaded','parsing','validated','held_for_review','merging','merged','refused','discarded')),
      force boolean NOT NULL DEFAULT false,
      dry_run boolean NOT NULL DEFAULT false,
      encoding text,
      delimiter text,
      has_bom boolean,
      line_ending text,
      columns jsonb,
      bytes_read bigint NOT NULL DEFAULT 0,
      rows_read integer NOT NULL DEFAULT 0,
      rows_total integer,
      rows_valid integer,
      rows_rejected integer,
      warnings integer,
      inserted integer,
      updated integer,
      unchanged integer,
      threshold_pct numeric NOT NULL DEFAULT 5,
      refusal text,
      timings jsonb NOT NULL DEFAULT '{}'::jsonb,
      created_by bigint REFERENCES app_user(id),
      decided_by bigint REFERENCES app_user(id),
      created_at timestamptz NOT NULL DEFAULT now(),
      started_at timestamptz,
      validated_at timestamptz,
      finished_at timestamptz,
      updated_at timestamptz NOT NULL DEFAULT now()
    );
    CREATE INDEX roll_created ON roll (created_at DESC, id DESC);
    CREATE INDEX roll_sha256 ON roll (sha256) WHERE state = 'merged';

    -- Refused rows (severity error) and warnings, with the physical line and the original record text.
    CREATE TABLE roll_reject (
      id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      roll_id bigint NOT NULL REFERENCES roll(id) ON DELETE CASCADE,
      line integer NOT NULL,
      field text,
      reason text NOT NULL,
      severity text NOT NULL DEFAULT 'error' CHECK (severity IN ('error','warning')),
      message text NOT NULL,
      ref_line integer,
      raw text
    );
    CREATE INDEX roll_reject_roll_reason ON roll_reject (roll_id, severity, reason, line);
    CREATE INDEX roll_reject_roll_line ON roll_reject (roll_id, line);

    -- Contact data a newer roll replaced (letters go to the current address; the person page shows these).
    CREATE TABLE person_contact_history (
      id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      person_id bigint NOT NULL REFERENCES person(id),
      roll_id bigint REFERENCES roll(id),
      replaced_at timestamptz NOT NULL DEFAULT now(),
      department varchar(3),
      address_line text,
      postal_code varchar(5),
      city text,
      email text,
      phone text
    );
    CREATE INDEX person_contact_history_person ON person_contact_history (person_id, replaced_at DESC);

    -- Persons page filter "by roll", keyset on id.
    CREATE INDEX person_last_roll ON person (last_roll_id, id) WHERE last_roll_id IS NOT NULL;
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`
    DROP INDEX IF EXISTS person_last_roll;
    DROP TABLE person_contact_history, roll_reject, roll CASCADE;
  `.execute(db);
}
