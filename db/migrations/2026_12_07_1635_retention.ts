import { type Kysely, sql } from "kysely";

/**
 * Retention and purge of campaign data (ADR 029). A provisional code's row stays (the fact that a code was
 * issued, used or revoked is part of a person's history and of the wave's figures) but its hash goes, so
 * `code_hash` may now be NULL (a catalogue change, no rewrite; the unique index accepts many NULLs). The
 * purge finds what is due through small indexes on its predicates, so that a night with nothing to purge
 * reads a few pages, not the tables:
 * - codes whose hash is still held, by expiry (partial: a purged code leaves the index);
 * - webhook events and SMTP submissions by their own date (both tables are append-mostly, so the index is
 *   appended at its right edge).
 * An uploaded roll's file is deleted from disk and the row keeps when (`file_purged_at`).
 * Frozen in time: never import application code here.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    ALTER TABLE provisional_code ALTER COLUMN code_hash DROP NOT NULL;
    CREATE INDEX provisional_code_hash_held ON provisional_code (expires_at) WHERE code_hash IS NOT NULL;
    CREATE INDEX email_event_received ON email_event (received_at);
    CREATE INDEX email_submission_created ON email_submission (created_at);
    ALTER TABLE roll ADD COLUMN file_purged_at timestamptz;
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`
    ALTER TABLE roll DROP COLUMN IF EXISTS file_purged_at;
    DROP INDEX IF EXISTS email_submission_created;
    DROP INDEX IF EXISTS email_event_received;
    DROP INDEX IF EXISTS provisional_code_hash_held;
    DELETE FROM provisional_code WHERE code_hash IS NULL;
    ALTER TABLE provisional_code ALTER COLUMN code_hash SET NOT NULL;
  `.execute(db);
}
