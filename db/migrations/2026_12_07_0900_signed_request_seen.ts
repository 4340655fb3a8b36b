import { type Kysely, sql } from "kysely";

/**
 * One replay store for every signed sender (portal, KPI API, telephony, e-mail provider events): a
 * signature is accepted once, and remembered until it could no longer pass the clock-skew check. Replaces
 * the portal's and the KPI API's own tables (their rows are short-lived replay guards, not data), and
 * gives the telephony and e-mail webhooks the guard they lacked. Frozen in time: never import application
 * code here.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    CREATE TABLE signed_request_seen (
      sender text NOT NULL,
      signature_hash text NOT NULL,
      expires_at timestamptz NOT NULL,
      PRIMARY KEY (sender, signature_hash)
    );
    CREATE INDEX signed_request_seen_expires ON signed_request_seen (expires_at);
    DROP TABLE IF EXISTS portal_signature;
    DROP TABLE IF EXISTS kpi_api_signature;
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`
    DROP TABLE IF EXISTS signed_request_seen;
    CREATE TABLE portal_signature (signature_hash text PRIMARY KEY, expires_at timestamptz NOT NULL);
    CREATE INDEX portal_signature_expires ON portal_signature (expires_at);
    CREATE TABLE kpi_api_signature (signature text PRIMARY KEY, received_at timestamptz NOT NULL DEFAULT now());
  `.execute(db);
}
