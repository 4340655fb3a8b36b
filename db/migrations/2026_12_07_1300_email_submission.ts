import { type Kysely, sql } from "kysely";

/**
 * The email submission ledger (ADR 025): one row per notification key, written before the message is handed
 * to the relay and decided after its reply. SMTP has no "was this accepted?" query, so this is what a
 * restarted worker reads: `accepted` stands, `submitting` (crashed in flight) or `unknown` (connection lost
 * after DATA) are never resent, no row means never handed over. It holds no address and no code. Frozen in
 * time: never import application code here.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    CREATE TABLE email_submission (
      key text PRIMARY KEY,
      message_id text NOT NULL,
      state text NOT NULL CHECK (state IN ('submitting', 'accepted', 'refused', 'unknown')),
      reply text,
      server_message_id text,
      created_at timestamptz NOT NULL DEFAULT now(),
      decided_at timestamptz
    );
    CREATE INDEX email_submission_message ON email_submission (message_id);
    CREATE INDEX email_submission_undecided ON email_submission (created_at) WHERE state IN ('submitting', 'unknown');
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DROP TABLE IF EXISTS email_submission`.execute(db);
}
