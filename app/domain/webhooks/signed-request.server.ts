import { createHash } from "node:crypto";
import { sql } from "kysely";
import type { DB } from "../../../db/connection";
import {
  checkSignedRequest,
  MAX_SKEW_SECONDS,
  type SignatureProblem,
  type SignatureScheme,
  signatureHeadersOf,
} from "./signed-request";

/** The senders that sign their requests; each one's signatures are remembered apart. */
export type SignedSender = "portal" | "kpi_api" | "telephony";

export type SignedRequestVerdict = { ok: true } | { ok: false; problem: SignatureProblem | "replayed" };

/**
 * The one replay store: remembers an accepted signature (its hash) until it could no longer pass the skew
 * check, and resolves false when it was already there (the request is a replay). Each call also removes a
 * few expired signatures: the table stays bounded without a job.
 */
async function acceptOnce(
  db: DB,
  sender: SignedSender,
  accepted: { signature: string; timestamp: number },
): Promise<boolean> {
  const hash = createHash("sha256").update(accepted.signature).digest("hex");
  const expiresAt = new Date((accepted.timestamp + MAX_SKEW_SECONDS + 60) * 1000);
  const inserted = await sql<{ fresh: boolean }>`
    WITH purge AS (
      DELETE FROM signed_request_seen WHERE (sender, signature_hash) IN (
        SELECT sender, signature_hash FROM signed_request_seen WHERE expires_at < now() LIMIT 4 FOR UPDATE SKIP LOCKED)
    ), ins AS (
      INSERT INTO signed_request_seen (sender, signature_hash, expires_at) VALUES (${sender}, ${hash}, ${expiresAt})
      ON CONFLICT (sender, signature_hash) DO NOTHING RETURNING 1
    )
    SELECT EXISTS (SELECT 1 FROM ins) AS fresh
  `.execute(db);
  return Boolean(inserted.rows[0]?.fresh);
}

/** What a verification needs besides the database: the sender's shared secret and, for tests, the clock. */
export interface SignedRequestDeps {
  secret: string;
  now?: Date;
}

/**
 * Checks a signed request (signed-request.ts) and accepts each signature once, for every sender: an exact
 * replay (same timestamp, same signature) is refused even where the body would be deduplicated later (a
 * call notification, a provider event), so that nothing depends on each receiver remembering to. The store
 * is asked only for a request whose signature is valid, so forged requests write nothing.
 */
export async function verifySignedRequest(
  db: DB,
  deps: SignedRequestDeps,
  params: {
    scheme: SignatureScheme;
    headers: Headers;
    rawBody: string;
    sender: SignedSender;
  },
): Promise<SignedRequestVerdict> {
  const checked = checkSignedRequest(
    params.scheme,
    deps.secret,
    signatureHeadersOf(params.scheme, params.headers),
    params.rawBody,
    deps.now,
  );
  if (!checked.ok) return checked;
  if (!(await acceptOnce(db, params.sender, checked))) return { ok: false, problem: "replayed" };
  return { ok: true };
}
