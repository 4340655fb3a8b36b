import { type Kysely, sql } from "kysely";

// Frozen in time: this file never imports application code.

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    -- An admin's "unlock" forgets the failed logins before this instant.
    ALTER TABLE app_user ADD COLUMN lockout_cleared_at timestamptz;
    -- Wrong second factors since the last right one, across sessions (a lock resets it).
    ALTER TABLE app_user ADD COLUMN second_factor_failures integer NOT NULL DEFAULT 0;
    -- The last TOTP time step accepted: a code is never accepted twice.
    ALTER TABLE app_user ADD COLUMN totp_last_step bigint;
    -- Wrong second factors within one half-open session (5 revoke it).
    ALTER TABLE user_session ADD COLUMN second_factor_failures integer NOT NULL DEFAULT 0;
    -- The per-account lockout counts failures by email hash.
    CREATE INDEX login_attempt_email_at ON login_attempt (email_hash, at);
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`
    DROP INDEX login_attempt_email_at;
    ALTER TABLE user_session DROP COLUMN second_factor_failures;
    ALTER TABLE app_user DROP COLUMN totp_last_step;
    ALTER TABLE app_user DROP COLUMN second_factor_failures;
    ALTER TABLE app_user DROP COLUMN lockout_cleared_at;
  `.execute(db);
}
