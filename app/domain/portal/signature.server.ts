import { createHash } from "node:crypto";
import { type Kysely, sql } from "kysely";
import type { Database } from "../../../db/schema";
import {
  checkSignature,
  MAX_SKEW_SECONDS,
  SIGNATURE_HEADER,
  type SignatureProblem,
  TIMESTAMP_HEADER,
} from "./signature";

export type SignatureVerdict = { ok: true } | { ok: false; problem: SignatureProblem | "replayed" };

/**
 * Checks a portal request's signature and remembers it until it could no longer pass the skew check, so
 * the same signed request is accepted once. Each call also removes a few expired signatures: the store
 * stays bounded without a job.
 */
export async function verifyPortalSignature(
  db: Kysely<Database>,
  secret: string,
  request: Request,
  rawBody: string,
  now = new Date(),
): Promise<SignatureVerdict> {
  const checked = checkSignature(
    secret,
    { timestamp: request.headers.get(TIMESTAMP_HEADER), signature: request.headers.get(SIGNATURE_HEADER) },
    rawBody,
    now,
  );
  if (!checked.ok) return checked;
  const hash = createHash("sha256")
    .update(request.headers.get(SIGNATURE_HEADER)?.trim() ?? "")
    .digest("hex");
  const expiresAt = new Date((checked.timestamp + MAX_SKEW_SECONDS + 60) * 1000);
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
  if (!inserted.rows[0]?.fresh) return { ok: false, problem: "replayed" };
  return { ok: true };
}
