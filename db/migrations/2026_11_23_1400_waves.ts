import { type Kysely, sql } from "kysely";

/**
 * Waves: notification campaigns (letters and emails) and the provisional codes they carry.
 * Frozen in time: never import application code here.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    CREATE TABLE wave (
      id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      name text NOT NULL,
      status text NOT NULL DEFAULT 'draft'
        CHECK (status IN ('draft','scheduled','running','paused','cancelled','completed')),
      segment jsonb NOT NULL,
      settings jsonb NOT NULL,
      -- The calendar and exclusions as computed when the members were materialised.
      calendar jsonb,
      exclusions jsonb,
      member_count integer,
      created_by bigint REFERENCES app_user(id),
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now(),
      scheduled_at timestamptz,
      planned_at timestamptz,
      paused_at timestamptz,
      cancelled_at timestamptz,
      completed_at timestamptz
    );
    CREATE INDEX wave_status ON wave (status, id);

    -- The unit of idempotency: one day's slice of a wave for one channel, advanced step by step.
    CREATE TABLE wave_batch (
      id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      wave_id bigint REFERENCES wave(id),
      kind text NOT NULL DEFAULT 'regular' CHECK (kind IN ('regular','fallback','single')),
      channel text NOT NULL CHECK (channel IN ('email','letter')),
      number integer NOT NULL,
      day date NOT NULL,
      not_before timestamptz NOT NULL,
      status text NOT NULL DEFAULT 'planned'
        CHECK (status IN ('planned','materialised','codes_stored','rendered','handed_off','sent','done','cancelled','failed')),
      planned_count integer NOT NULL DEFAULT 0,
      member_count integer,
      attempts integer NOT NULL DEFAULT 0,
      lease_owner text,
      lease_until timestamptz,
      pdf_path text,
      manifest_path text,
      last_error text,
      materialised_at timestamptz,
      codes_stored_at timestamptz,
      rendered_at timestamptz,
      handed_off_at timestamptz,
      sent_at timestamptz,
      done_at timestamptz,
      cancelled_at timestamptz,
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now()
    );
    CREATE INDEX wave_batch_wave ON wave_batch (wave_id, day, number);
    CREATE INDEX wave_batch_open ON wave_batch (status) WHERE status NOT IN ('done','cancelled');

    -- One row per person per wave (single notifications from the helpline have no wave).
    CREATE TABLE wave_member (
      id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      wave_id bigint REFERENCES wave(id),
      batch_id bigint REFERENCES wave_batch(id),
      person_id bigint NOT NULL REFERENCES person(id),
      channel text NOT NULL CHECK (channel IN ('email','letter')),
      ordinal integer,
      sequence integer,
      status text NOT NULL DEFAULT 'planned'
        CHECK (status IN ('planned','excluded','coded','rendered','handed_off','sent','failed','cancelled')),
      -- True while the wave is open: a person is in at most one active wave (index below).
      active boolean NOT NULL DEFAULT true,
      code_id bigint,
      provider_message_id text,
      excluded_reason text,
      error text,
      notified_at timestamptz,
      rendered_at timestamptz,
      handed_off_at timestamptz,
      email_sent_at timestamptz,
      delivered_at timestamptz,
      bounced_at timestamptz,
      fell_back_at timestamptz,
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now()
    );
    CREATE UNIQUE INDEX wave_member_one_active_wave ON wave_member (person_id) WHERE active;
    CREATE UNIQUE INDEX wave_member_wave_person ON wave_member (wave_id, person_id) WHERE wave_id IS NOT NULL;
    CREATE INDEX wave_member_batch ON wave_member (batch_id, sequence);
    CREATE INDEX wave_member_wave_status ON wave_member (wave_id, status);
    CREATE INDEX wave_member_message ON wave_member (provider_message_id) WHERE provider_message_id IS NOT NULL;

    -- Provisional codes: only a keyed hash (HMAC-SHA-256), single-use, revocable, with an expiry.
    CREATE TABLE provisional_code (
      id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      person_id bigint NOT NULL REFERENCES person(id),
      wave_id bigint,
      batch_id bigint,
      code_hash char(64) NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now(),
      expires_at timestamptz NOT NULL,
      used_at timestamptz,
      revoked_at timestamptz,
      revoked_reason text
    );
    CREATE UNIQUE INDEX provisional_code_hash ON provisional_code (code_hash);
    -- At most one active (neither used nor revoked) code per person.
    CREATE UNIQUE INDEX provisional_code_one_active ON provisional_code (person_id)
      WHERE used_at IS NULL AND revoked_at IS NULL;
    CREATE INDEX provisional_code_person ON provisional_code (person_id, created_at DESC);

    -- Provider webhook events, deduplicated by the provider's event id.
    CREATE TABLE email_event (
      event_id text PRIMARY KEY,
      message_id text NOT NULL,
      type text NOT NULL,
      occurred_at timestamptz NOT NULL,
      received_at timestamptz NOT NULL DEFAULT now(),
      member_id bigint,
      details jsonb NOT NULL DEFAULT '{}'::jsonb
    );

    -- What went wrong while dispatching, with a reason a manager can read.
    CREATE TABLE wave_incident (
      id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      wave_id bigint,
      batch_id bigint,
      member_id bigint,
      at timestamptz NOT NULL DEFAULT now(),
      kind text NOT NULL,
      message text NOT NULL
    );
    CREATE INDEX wave_incident_wave ON wave_incident (wave_id, at DESC);
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`
    DROP TABLE IF EXISTS wave_incident;
    DROP TABLE IF EXISTS email_event;
    DROP TABLE IF EXISTS provisional_code;
    DROP TABLE IF EXISTS wave_member;
    DROP TABLE IF EXISTS wave_batch;
    DROP TABLE IF EXISTS wave;
  `.execute(db);
}
