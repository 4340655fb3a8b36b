import { createHmac, timingSafeEqual } from "node:crypto";

/**
 * Portal webhook signature: `X-MES-Signature: v1=<hex HMAC-SHA-256(secret, "<timestamp>.<raw body>")>` with
 * `X-MES-Timestamp: <unix seconds>`. The timestamp is inside the MAC, so an old request cannot be re-dated;
 * a request is accepted only within ±5 minutes of our clock, and each signature only once (see the store).
 */
export const TIMESTAMP_HEADER = "X-MES-Timestamp";
export const SIGNATURE_HEADER = "X-MES-Signature";
export const MAX_SKEW_SECONDS = 300;

export function signPortalPayload(secret: string, timestamp: number, rawBody: string): string {
  return `v1=${createHmac("sha256", secret).update(`${timestamp}.${rawBody}`).digest("hex")}`;
}

export function signedHeaders(secret: string, rawBody: string, now = new Date()): Record<string, string> {
  const timestamp = Math.floor(now.getTime() / 1000);
  return {
    "Content-Type": "application/json",
    [TIMESTAMP_HEADER]: String(timestamp),
    [SIGNATURE_HEADER]: signPortalPayload(secret, timestamp, rawBody),
  };
}

export type SignatureProblem = "missing_signature" | "bad_timestamp" | "clock_skew" | "bad_signature";

export const SIGNATURE_PROBLEMS: Record<SignatureProblem | "replayed", string> = {
  missing_signature: `en-têtes ${TIMESTAMP_HEADER} et ${SIGNATURE_HEADER} requis`,
  bad_timestamp: `${TIMESTAMP_HEADER} doit être un horodatage Unix en secondes`,
  clock_skew: `horodatage hors de la fenêtre de ±${MAX_SKEW_SECONDS / 60} minutes`,
  bad_signature: "signature invalide",
  replayed: "signature déjà utilisée (rejeu refusé)",
};

/** Pure check of one request's signature (the replay check needs the database: signature.server.ts). */
export function checkSignature(
  secret: string,
  headers: { timestamp: string | null; signature: string | null },
  rawBody: string,
  now = new Date(),
): { ok: true; timestamp: number } | { ok: false; problem: SignatureProblem } {
  if (!headers.timestamp || !headers.signature) return { ok: false, problem: "missing_signature" };
  if (!/^\d{1,12}$/.test(headers.timestamp)) return { ok: false, problem: "bad_timestamp" };
  const timestamp = Number(headers.timestamp);
  if (Math.abs(now.getTime() / 1000 - timestamp) > MAX_SKEW_SECONDS)
    return { ok: false, problem: "clock_skew" };
  const expected = Buffer.from(signPortalPayload(secret, timestamp, rawBody));
  const given = Buffer.from(headers.signature.trim());
  if (expected.length !== given.length || !timingSafeEqual(expected, given)) {
    return { ok: false, problem: "bad_signature" };
  }
  return { ok: true, timestamp };
}
