import {
  checkSignedRequest,
  MAX_SKEW_SECONDS,
  type SignatureProblem,
  type SignatureScheme,
  signBody,
} from "../webhooks/signed-request";

/**
 * POST /api/kpi/observations is signed by the sender: `X-KPI-Timestamp: <unix seconds>` and
 * `X-KPI-Signature: sha256=<hex HMAC-SHA256(secret, timestamp + "." + raw body)>`, checked by the one
 * signed-webhook verifier (../webhooks/signed-request). A timestamp more than five minutes away from our
 * clock is refused, and so is a signature already seen (replay: the one store of webhooks/signed-request.server.ts).
 */
export { MAX_SKEW_SECONDS };

export const KPI_API_SIGNATURE: SignatureScheme = {
  timestampHeader: "X-KPI-Timestamp",
  signatureHeader: "X-KPI-Signature",
  prefix: "sha256=",
};

/** The API's answer to each refusal (401, or 409 for a replay). */
export const KPI_SIGNATURE_PROBLEMS: Record<SignatureProblem | "replayed", string> = {
  missing_signature: "en-têtes X-KPI-Timestamp et X-KPI-Signature requis",
  bad_timestamp: "X-KPI-Timestamp invalide (secondes Unix)",
  clock_skew: "horodatage hors de la fenêtre de ± 5 minutes (horloge de l'émetteur ?)",
  bad_signature: "signature invalide",
  replayed: "requête déjà reçue (signature rejouée)",
};

export type SignatureCheck = { ok: true; signature: string } | { ok: false; status: 401; reason: string };

export function signObservations(secret: string, timestamp: number, body: string): string {
  return signBody(KPI_API_SIGNATURE, secret, timestamp, body);
}

export function checkSignature(params: {
  secret: string;
  timestampHeader: string | null;
  signatureHeader: string | null;
  body: string;
  nowSeconds: number;
}): SignatureCheck {
  const checked = checkSignedRequest(
    KPI_API_SIGNATURE,
    params.secret,
    { timestamp: params.timestampHeader, signature: params.signatureHeader },
    params.body,
    new Date(params.nowSeconds * 1000),
  );
  if (!checked.ok) return { ok: false, status: 401, reason: KPI_SIGNATURE_PROBLEMS[checked.problem] };
  return { ok: true, signature: checked.signature };
}
