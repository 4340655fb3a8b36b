import { createHmac, timingSafeEqual } from "node:crypto";

/**
 * The one check of a signed webhook, for every sender (portal, email provider, telephony, KPI API): the
 * sender puts `<timestamp header>: <unix seconds>` and `<signature header>: <prefix><hex HMAC-SHA-256(secret,
 * "<timestamp>.<raw body>")>`. The timestamp is inside the MAC, so an old request cannot be re-dated; a
 * request is accepted only within ±5 minutes of our clock. Refusing a replay needs a store of accepted
 * signatures: signed-request.server.ts. Each sender keeps its own headers, prefix and wording of refusals.
 */
export const MAX_SKEW_SECONDS = 300;

export interface SignatureScheme {
  timestampHeader: string;
  signatureHeader: string;
  /** What comes before the hex MAC: "v1=", "sha256=". */
  prefix: string;
}

export type SignatureProblem = "missing_signature" | "bad_timestamp" | "clock_skew" | "bad_signature";

export type SignedRequestCheck =
  | { ok: true; timestamp: number; signature: string }
  | { ok: false; problem: SignatureProblem };

/** The two header values as received (null when absent). */
export interface SignatureHeaders {
  timestamp: string | null;
  signature: string | null;
}

export function signatureHeadersOf(scheme: SignatureScheme, headers: Headers): SignatureHeaders {
  return { timestamp: headers.get(scheme.timestampHeader), signature: headers.get(scheme.signatureHeader) };
}

export function signBody(
  scheme: SignatureScheme,
  secret: string,
  timestamp: number,
  rawBody: string,
): string {
  return `${scheme.prefix}${createHmac("sha256", secret).update(`${timestamp}.${rawBody}`).digest("hex")}`;
}

/** The headers a sender (our own portal client, tests) adds to a body signed now. */
export function signatureHeaders(
  scheme: SignatureScheme,
  secret: string,
  rawBody: string,
  now = new Date(),
): Record<string, string> {
  const timestamp = Math.floor(now.getTime() / 1000);
  return {
    [scheme.timestampHeader]: String(timestamp),
    [scheme.signatureHeader]: signBody(scheme, secret, timestamp, rawBody),
  };
}

/** Pure check of one request's signature: headers present, timestamp in seconds and fresh, MAC equal. */
export function checkSignedRequest(
  scheme: SignatureScheme,
  secret: string,
  headers: SignatureHeaders,
  rawBody: string,
  now = new Date(),
): SignedRequestCheck {
  if (!headers.timestamp || !headers.signature) return { ok: false, problem: "missing_signature" };
  if (!/^\d{1,12}$/.test(headers.timestamp)) return { ok: false, problem: "bad_timestamp" };
  const timestamp = Number(headers.timestamp);
  if (Math.abs(now.getTime() / 1000 - timestamp) > MAX_SKEW_SECONDS)
    return { ok: false, problem: "clock_skew" };
  const signature = headers.signature.trim();
  const expected = Buffer.from(signBody(scheme, secret, timestamp, rawBody));
  const given = Buffer.from(signature);
  if (expected.length !== given.length || !timingSafeEqual(expected, given)) {
    return { ok: false, problem: "bad_signature" };
  }
  return { ok: true, timestamp, signature };
}
