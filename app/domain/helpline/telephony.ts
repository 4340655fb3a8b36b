import { z } from "zod";
import { departmentOfPostalCode as departmentOf } from "../persons/department";
import {
  checkSignedRequest,
  MAX_SKEW_SECONDS,
  type SignatureProblem,
  type SignatureScheme,
  signBody,
} from "../webhooks/signed-request";

/**
 * The telephony server's signed call notification: `POST /api/telephony/calls` with headers
 * `X-Telephony-Timestamp: <unix seconds>` and `X-Telephony-Signature: v1=<hex HMAC-SHA256 of
 * "<timestamp>.<raw body>" with TELEPHONY_WEBHOOK_SECRET>`, checked by the one signed-webhook verifier
 * (../webhooks/signed-request). Requests older or newer than 5 minutes are refused.
 */
export const TELEPHONY_MAX_SKEW_SECONDS = MAX_SKEW_SECONDS;

export const TELEPHONY_SIGNATURE: SignatureScheme = {
  timestampHeader: "X-Telephony-Timestamp",
  signatureHeader: "X-Telephony-Signature",
  prefix: "v1=",
};

/** The route's answer to each refusal (401). The route keeps no replay store: `replayed` never comes up. */
export const TELEPHONY_SIGNATURE_PROBLEMS: Record<SignatureProblem | "replayed", string> = {
  missing_signature: "en-têtes de signature absents",
  bad_timestamp: "horodatage de signature invalide",
  clock_skew: "horodatage hors tolérance (5 min)",
  bad_signature: "signature invalide",
  replayed: "signature déjà utilisée (rejeu refusé)",
};

export function signTelephonyBody(secret: string, timestamp: number, rawBody: string): string {
  return signBody(TELEPHONY_SIGNATURE, secret, timestamp, rawBody);
}

export type SignatureCheck = { ok: true } | { ok: false; reason: string };

export function verifyTelephonySignature(params: {
  secret: string;
  timestamp: string | null;
  signature: string | null;
  rawBody: string;
  now?: Date;
}): SignatureCheck {
  const checked = checkSignedRequest(
    TELEPHONY_SIGNATURE,
    params.secret,
    { timestamp: params.timestamp, signature: params.signature },
    params.rawBody,
    params.now,
  );
  return checked.ok ? { ok: true } : { ok: false, reason: TELEPHONY_SIGNATURE_PROBLEMS[checked.problem] };
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

/** Department of a caller's postal code (the persons' rule, ../persons/department), null unless 5 digits. */
export function departmentOfPostalCode(postalCode: string): string | null {
  return /^\d{5}$/.test(postalCode) ? departmentOf(postalCode) : null;
}
