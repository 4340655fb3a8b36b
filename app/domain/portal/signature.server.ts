import { createHash } from "node:crypto";
import { sql } from "kysely";
import type { DB } from "../../../db/connection";
import {
  type SignedRequestDeps,
  type SignedRequestVerdict,
  verifySignedRequest,
} from "../webhooks/signed-request.server";
import { MAX_SKEW_SECONDS, PORTAL_SIGNATURE } from "./signature";

export type SignatureVerdict = SignedRequestVerdict;

/**
 * The portal's replay store: remembers a signature (its hash) until it could no longer pass the skew
 * check. Each call also removes a few expired signatures: the store stays bounded without a job.
 */
export async function rememberPortalSignature(
  db: DB,
  accepted: { signature: string; timestamp: number },
): Promise<boolean> {
  const hash = createHash("sha256").update(accepted.signature).digest("hex");
  const expiresAt = new Date((accepted.timestamp + MAX_SKEW_SECONDS + 60) * 1000);
  // One round trip: remember this signature and drop a few expired ones.
  const inserted = await sql<{ fresh: boolean }>`
    WITH purge AS (
      DELETE FROM portal_signature WHERE signature_hash IN (
        SELECT signature_hash FROM portal_signature WHERE expires_at < now() LIMIT 4 FOR UPDATE SKIP LOCKED)
    ), ins AS (
      INSERT INTO portal_signature (signature_hash, expires_at) VALUES (${hash}, ${expiresAt})
      ON CONFLICT (signature_hash) DO NOTHING RETURNING 1
    )
    SELECT EXISTS (SELECT 1 FROM ins) AS fresh
  `.execute(db);
  return Boolean(inserted.rows[0]?.fresh);
}

/** Checks a portal request's signature and accepts each signature once (rememberPortalSignature). */
export async function verifyPortalSignature(
  db: DB,
  deps: SignedRequestDeps,
  params: { request: Request; rawBody: string },
): Promise<SignatureVerdict> {
  return verifySignedRequest(db, deps, {
    scheme: PORTAL_SIGNATURE,
    headers: params.request.headers,
    rawBody: params.rawBody,
    replay: rememberPortalSignature,
  });
}
