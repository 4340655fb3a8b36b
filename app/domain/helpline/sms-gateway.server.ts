import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import type { AppConfig } from "../../config/config.server";

/**
 * The SMS gateway client (provisional code resets by SMS). With SMS_GATEWAY_URL it calls the gateway's
 * HTTP API: `POST <url>/v1/sms` {to, text} with a bearer token and an Idempotency-Key, retrying network
 * errors, timeouts, 429 (honouring Retry-After) and 5xx; other 4xx are permanent. Without it (dev, demo)
 * a sink writes the message as JSON under <OUTBOX_DIR>/sms/. The text is never logged.
 */
export interface SmsMessage {
  to: string;
  text: string;
  idempotencyKey: string;
}

export type SmsResult = { ok: true; providerId: string } | { ok: false; permanent: boolean; reason: string };

export interface SmsGateway {
  send(message: SmsMessage): Promise<SmsResult>;
}

export interface SmsGatewayOptions {
  attempts?: number;
  timeoutMs?: number;
  /** Base delay between attempts (doubled each time); tests pass 0. */
  backoffMs?: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** +33 6 12 34 56 78, 06 12 34 56 78 → +33612345678; null when it is not a French mobile number. */
export function normaliseMobile(input: string): string | null {
  const digits = input.replace(/[\s.\-()]/g, "");
  const national = digits.startsWith("+33")
    ? `0${digits.slice(3)}`
    : digits.startsWith("0033")
      ? `0${digits.slice(4)}`
      : digits;
  if (!/^0[67]\d{8}$/.test(national)) return null;
  return `+33${national.slice(1)}`;
}

export function createSmsGateway(
  config: Pick<AppConfig, "sms" | "outboxDir">,
  options: SmsGatewayOptions = {},
): SmsGateway {
  if (!config.sms.url) return outboxSink(config.outboxDir);
  return httpGateway(config.sms.url, config.sms.token, options);
}

function outboxSink(outboxDir: string): SmsGateway {
  return {
    async send(message) {
      const dir = path.join(outboxDir, "sms");
      mkdirSync(dir, { recursive: true });
      const id = `sms-${Date.now()}-${message.idempotencyKey.replace(/[^\w-]/g, "_")}`;
      writeFileSync(
        path.join(dir, `${id}.json`),
        JSON.stringify({ id, to: message.to, text: message.text, at: new Date().toISOString() }, null, 2),
        { mode: 0o600 },
      );
      return { ok: true, providerId: id };
    },
  };
}

function httpGateway(baseUrl: string, token: string | undefined, options: SmsGatewayOptions): SmsGateway {
  const attempts = options.attempts ?? 4;
  const timeoutMs = options.timeoutMs ?? 5000;
  const backoffMs = options.backoffMs ?? 500;
  return {
    async send(message) {
      let last = "";
      for (let attempt = 1; attempt <= attempts; attempt++) {
        let retryAfterMs = backoffMs * 2 ** (attempt - 1);
        try {
          const res = await fetch(new URL("/v1/sms", baseUrl), {
            method: "POST",
            headers: {
              "content-type": "application/json",
              "idempotency-key": message.idempotencyKey,
              ...(token ? { authorization: `Bearer ${token}` } : {}),
            },
            body: JSON.stringify({ to: message.to, text: message.text }),
            signal: AbortSignal.timeout(timeoutMs),
          });
          if (res.ok) {
            const body = (await res.json().catch(() => ({}))) as { id?: unknown };
            return { ok: true, providerId: typeof body.id === "string" ? body.id : "" };
          }
          last = `passerelle SMS : HTTP ${res.status}`;
          if (res.status !== 429 && res.status < 500) return { ok: false, permanent: true, reason: last };
          const retryAfter = Number(res.headers.get("retry-after"));
          if (res.status === 429 && Number.isFinite(retryAfter) && retryAfter > 0) {
            retryAfterMs = Math.min(retryAfter * 1000, 30_000);
          }
        } catch (error) {
          last =
            (error as Error).name === "TimeoutError"
              ? `passerelle SMS : pas de réponse en ${timeoutMs} ms`
              : "passerelle SMS injoignable";
        }
        if (attempt < attempts) await sleep(retryAfterMs);
      }
      return { ok: false, permanent: false, reason: `${last} (après ${attempts} tentatives)` };
    },
  };
}
