import { createHmac, timingSafeEqual } from "node:crypto";
import { z } from "zod";

/**
 * The telephony server's signed call notification: `POST /api/telephony/calls` with headers
 * `X-Telephony-Timestamp: <unix seconds>` and `X-Telephony-Signature: v1=<hex HMAC-SHA256 of
 * "<timestamp>.<raw body>" with TELEPHONY_WEBHOOK_SECRET>`. Requests older or newer than 5 minutes are refused.
 */
export const TELEPHONY_MAX_SKEW_SECONDS = 300;

export function signTelephonyBody(secret: string, timestamp: number, rawBody: string): string {
  return `v1=${createHmac("sha256", secret).update(`${timestamp}.${rawBody}`).digest("hex")}`;
}

export type SignatureCheck = { ok: true } | { ok: false; reason: string };

export function verifyTelephonySignature(params: {
  secret: string;
  timestamp: string | null;
  signature: string | null;
  rawBody: string;
  now?: Date;
}): SignatureCheck {
  if (!params.timestamp || !params.signature) return { ok: false, reason: "en-têtes de signature absents" };
  const ts = Number(params.timestamp);
  if (!Number.isInteger(ts)) return { ok: false, reason: "horodatage de signature invalide" };
  const now = Math.floor((params.now ?? new Date()).getTime() / 1000);
  if (Math.abs(now - ts) > TELEPHONY_MAX_SKEW_SECONDS)
    return { ok: false, reason: "horodatage hors tolérance (5 min)" };
  const expected = Buffer.from(signTelephonyBody(params.secret, ts, params.rawBody));
  const given = Buffer.from(params.signature);
  if (expected.length !== given.length || !timingSafeEqual(expected, given)) {
    return { ok: false, reason: "signature invalide" };
  }
  return { ok: true };
}

export const telephonyCallSchema = z.object({
  caller_number: z
    .string()
    .trim()
    .regex(/^\+?[0-9 .-]{6,20}$/, "caller_number : numéro de téléphone attendu"),
  ivr_choice: z.string().trim().max(8, "ivr_choice : 8 caractères au plus"),
  at: z.string().datetime({ offset: true, message: "at : date ISO 8601 avec fuseau attendue" }),
  call_id: z.string().trim().min(1).max(100).optional(),
  postal_code: z
    .string()
    .trim()
    .regex(/^\d{5}$/, "postal_code : 5 chiffres attendus")
    .optional(),
});
export type TelephonyCall = z.infer<typeof telephonyCallSchema>;

/** Department of a French postal code (Corsica: 200xx–201xx → 2A, 202xx–206xx → 2B; overseas: 3 digits). */
export function departmentOfPostalCode(postalCode: string): string | null {
  if (!/^\d{5}$/.test(postalCode)) return null;
  if (postalCode.startsWith("97") || postalCode.startsWith("98")) return postalCode.slice(0, 3);
  if (postalCode.startsWith("20")) return Number(postalCode.slice(2, 3)) < 2 ? "2A" : "2B";
  return postalCode.slice(0, 2);
}
