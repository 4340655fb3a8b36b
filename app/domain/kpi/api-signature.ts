import { createHmac, timingSafeEqual } from "node:crypto";

/**
 * POST /api/kpi/observations is signed by the sender: `X-KPI-Timestamp: <unix seconds>` and
 * `X-KPI-Signature: sha256=<hex HMAC-SHA256(secret, timestamp + "." + raw body)>`. A timestamp more than
 * five minutes away from our clock is refused, and so is a signature already seen (replay).
 */
export const MAX_SKEW_SECONDS = 300;

export type SignatureCheck = { ok: true; signature: string } | { ok: false; status: 401; reason: string };

export function signObservations(secret: string, timestamp: number, body: string): string {
  return `sha256=${createHmac("sha256", secret).update(`${timestamp}.${body}`).digest("hex")}`;
}

export function checkSignature(params: {
  secret: string;
  timestampHeader: string | null;
  signatureHeader: string | null;
  body: string;
  nowSeconds: number;
}): SignatureCheck {
  const { timestampHeader, signatureHeader } = params;
  if (!timestampHeader || !signatureHeader)
    return { ok: false, status: 401, reason: "en-têtes X-KPI-Timestamp et X-KPI-Signature requis" };
  if (!/^\d{1,12}$/.test(timestampHeader))
    return { ok: false, status: 401, reason: "X-KPI-Timestamp invalide (secondes Unix)" };
  const timestamp = Number(timestampHeader);
  if (Math.abs(params.nowSeconds - timestamp) > MAX_SKEW_SECONDS)
    return {
      ok: false,
      status: 401,
      reason: "horodatage hors de la fenêtre de ± 5 minutes (horloge de l'émetteur ?)",
    };
  const expected = Buffer.from(signObservations(params.secret, timestamp, params.body));
  const given = Buffer.from(signatureHeader.trim());
  if (expected.length !== given.length || !timingSafeEqual(expected, given))
    return { ok: false, status: 401, reason: "signature invalide" };
  return { ok: true, signature: signatureHeader.trim() };
}
