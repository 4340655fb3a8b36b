import type { SmsGateway, SmsGatewayOptions, SmsResult } from "./sms-gateway.server";
import { smsLength } from "./sms-length";

/**
 * Brevo's transactional SMS API (https://developers.brevo.com/docs/transactional-sms-endpoints):
 * `POST {BREVO_API_URL}/v3/transactionalSMS/send` with the `api-key` header and
 * `{ sender, recipient, content, type: "transactional", tag, unicodeEnabled }`; 201 answers `{ messageId }`.
 * Brevo is a French provider already on the list of mail providers mes-ops must read bounces from, so one
 * account and one contract cover both channels (ADR 024).
 *
 * Brevo takes no idempotency key. A retry after a timeout may therefore send the same text twice; that is
 * tolerated because, within one attempt of the job, the text carries the same code (the code is issued in the
 * transaction that sends it). The reset id goes as the message's tag, so delivery reports can be matched.
 */
export interface BrevoSmsConfig {
  apiUrl: string;
  apiKey: string;
  /** At most 11 letters and digits, or 15 digits (Brevo's rule, checked by the environment parser). */
  sender: string;
}

/** Our own texts fit one SMS; anything longer than this is a template bug, refused rather than billed. */
export const MAX_SMS_PARTS = 3;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** How long Brevo asks us to wait: x-sib-ratelimit-reset (seconds), else Retry-After, capped at 30 s. */
function rateLimitWaitMs(headers: Headers): number | null {
  for (const name of ["x-sib-ratelimit-reset", "retry-after"]) {
    const seconds = Number(headers.get(name));
    if (headers.get(name) !== null && Number.isFinite(seconds) && seconds >= 0) {
      return Math.min(seconds * 1000, 30_000);
    }
  }
  return null;
}

/** The error code of Brevo's error body (`{ code, message }`); the message may quote the number, so it is dropped. */
async function brevoErrorCode(res: Response): Promise<string> {
  const body = (await res.json().catch(() => null)) as { code?: unknown } | null;
  return typeof body?.code === "string" ? ` (${body.code.slice(0, 40)})` : "";
}

function accountProblem(status: number): string | null {
  if (status === 401) return "clé API Brevo refusée";
  if (status === 402) return "crédits SMS Brevo épuisés";
  if (status === 403) return "compte Brevo non autorisé à envoyer des SMS";
  return null;
}

export function brevoSms(config: BrevoSmsConfig, options: SmsGatewayOptions = {}): SmsGateway {
  const attempts = options.attempts ?? 4;
  const timeoutMs = options.timeoutMs ?? 5000;
  const backoffMs = options.backoffMs ?? 500;
  const endpoint = new URL("/v3/transactionalSMS/send", config.apiUrl);
  return {
    async send(message): Promise<SmsResult> {
      const length = smsLength(message.text);
      if (length.parts > MAX_SMS_PARTS) {
        return {
          ok: false,
          permanent: true,
          reason: `texte trop long : ${length.parts} SMS (au plus ${MAX_SMS_PARTS})`,
        };
      }
      const body = JSON.stringify({
        sender: config.sender,
        recipient: message.to.replace(/^\+/, ""),
        content: message.text,
        type: "transactional",
        tag: message.idempotencyKey,
        unicodeEnabled: length.encoding === "UCS-2",
      });
      let last = "";
      for (let attempt = 1; attempt <= attempts; attempt++) {
        let waitMs = backoffMs * 2 ** (attempt - 1);
        try {
          const res = await fetch(endpoint, {
            method: "POST",
            headers: {
              accept: "application/json",
              "content-type": "application/json",
              "api-key": config.apiKey,
            },
            body,
            signal: AbortSignal.timeout(timeoutMs),
          });
          if (res.status === 201 || res.status === 200) {
            const answer = (await res.json().catch(() => ({}))) as { messageId?: unknown };
            const id = answer.messageId;
            return {
              ok: true,
              providerId: typeof id === "number" || typeof id === "string" ? String(id) : "",
            };
          }
          const account = accountProblem(res.status);
          last = account ? `Brevo : ${account}` : `Brevo : HTTP ${res.status}${await brevoErrorCode(res)}`;
          if (account) return { ok: false, permanent: false, reason: last };
          if (res.status !== 429 && res.status < 500) return { ok: false, permanent: true, reason: last };
          if (res.status === 429) waitMs = rateLimitWaitMs(res.headers) ?? waitMs;
        } catch (error) {
          last =
            (error as Error).name === "TimeoutError"
              ? `Brevo : pas de réponse en ${timeoutMs} ms`
              : "Brevo injoignable";
        }
        if (attempt < attempts) await sleep(waitMs);
      }
      return { ok: false, permanent: false, reason: `${last} (après ${attempts} tentatives)` };
    },
  };
}
