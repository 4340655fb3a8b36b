import {
  checkSignedRequest,
  MAX_SKEW_SECONDS,
  type SignatureProblem,
  type SignatureScheme,
  type SignedRequestCheck,
  signatureHeaders,
  signBody,
} from "../webhooks/signed-request";

/**
 * Portal webhook signature: `X-MES-Signature: v1=<hex HMAC-SHA-256(secret, "<timestamp>.<raw body>")>` with
 * `X-MES-Timestamp: <unix seconds>`, checked by the one signed-webhook verifier (../webhooks/signed-request):
 * accepted only within ±5 minutes of our clock, and each signature only once (signature.server.ts). The
 * email provider's events use the same scheme.
 */
export const TIMESTAMP_HEADER = "X-MES-Timestamp";
export const SIGNATURE_HEADER = "X-MES-Signature";
export { MAX_SKEW_SECONDS, type SignatureProblem };

export const PORTAL_SIGNATURE: SignatureScheme = {
  timestampHeader: TIMESTAMP_HEADER,
  signatureHeader: SIGNATURE_HEADER,
  prefix: "v1=",
};

export function signPortalPayload(secret: string, timestamp: number, rawBody: string): string {
  return signBody(PORTAL_SIGNATURE, secret, timestamp, rawBody);
}

export function signedHeaders(secret: string, rawBody: string, now = new Date()): Record<string, string> {
  return { "Content-Type": "application/json", ...signatureHeaders(PORTAL_SIGNATURE, secret, rawBody, now) };
}

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
): SignedRequestCheck {
  return checkSignedRequest(PORTAL_SIGNATURE, secret, headers, rawBody, now);
}
