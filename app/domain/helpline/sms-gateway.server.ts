import type { AppConfig } from "../../config/config.server";
import { brevoSms } from "./sms-brevo.server";
import { smsOutboxSink } from "./sms-outbox.server";

/**
 * Where code-reset SMS go. `SMS_PROVIDER=brevo` sends them through Brevo's transactional SMS API
 * (sms-brevo.server.ts); without it (dev, demo) a sink writes each message under <OUTBOX_DIR>/sms/, which
 * the Outbox page shows. The text carries a code: it is never logged.
 */
export interface SmsMessage {
  /** E.164, as normaliseMobile gives it. */
  to: string;
  text: string;
  /** One per reset; the gateway tags the message with it, so its delivery reports can be matched. */
  idempotencyKey: string;
}

/**
 * `permanent`: the gateway refused this message for good (a bad number, a text it will not carry): record the
 * failure and stop. Otherwise the caller retries later (a rate limit, an outage, and also a refused API key or
 * exhausted credits: those need an operator, not a letter to the person).
 */
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
  const { sms } = config;
  if (sms.provider === "brevo") return brevoSms(sms.brevo, options);
  return smsOutboxSink(config.outboxDir);
}
