import { type Kysely, sql } from "kysely";

/**
 * Provider bounce and complaint events (ADR 028): `email_event` now holds the normalised events of every
 * provider (Brevo, Mailjet, Amazon SES, Scaleway TEM, DSN mailbox). Its key becomes `<provider>:<event id>`
 * (rows of the former home-made webhook keep theirs, provider `legacy`); `kind` is the normalised kind; an
 * event no message matched is kept with `matched = false` and listed for the managers. No address is stored,
 * only the recipient's domain. Frozen in time: never import application code here.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    ALTER TABLE email_event RENAME COLUMN type TO kind;
    ALTER TABLE email_event ALTER COLUMN message_id DROP NOT NULL;
    ALTER TABLE email_event ADD COLUMN provider text NOT NULL DEFAULT 'legacy';
    ALTER TABLE email_event ADD COLUMN server_message_id text;
    ALTER TABLE email_event ADD COLUMN recipient_domain text;
    ALTER TABLE email_event ADD COLUMN matched boolean NOT NULL DEFAULT true;
    ALTER TABLE email_event ALTER COLUMN provider DROP DEFAULT;
    CREATE INDEX email_event_unmatched ON email_event (received_at DESC) WHERE NOT matched;
    CREATE INDEX email_event_member ON email_event (member_id, occurred_at) WHERE member_id IS NOT NULL;
    CREATE INDEX email_submission_server_message ON email_submission (server_message_id)
      WHERE server_message_id IS NOT NULL;
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`
    DROP INDEX IF EXISTS email_submission_server_message;
    DROP INDEX IF EXISTS email_event_member;
    DROP INDEX IF EXISTS email_event_unmatched;
    DELETE FROM email_event WHERE message_id IS NULL;
    ALTER TABLE email_event DROP COLUMN matched, DROP COLUMN recipient_domain, DROP COLUMN server_message_id,
      DROP COLUMN provider;
    ALTER TABLE email_event ALTER COLUMN message_id SET NOT NULL;
    ALTER TABLE email_event RENAME COLUMN kind TO type;
  `.execute(db);
}
