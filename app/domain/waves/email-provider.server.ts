import type { DB } from "../../../db/connection";
import type { AppConfig } from "../../config/config.server";
import { ledgered } from "./email-ledger.server";
import type { OutgoingEmail } from "./email-message.server";
import { OutboxSink } from "./email-outbox.server";
import { SmtpEmailProvider } from "./email-smtp.server";
import { TokenBucket } from "./token-bucket";

export type { OutgoingEmail } from "./email-message.server";

/**
 * How a notice leaves by email: over SMTP to the relay of `SMTP_URL` (email-smtp.server.ts), or, without it
 * (dev, demo), into the outbox folder that `/admin/outbox` shows (email-outbox.server.ts). Either way through
 * the submission ledger (email-ledger.server.ts), which answers "was this key handed over?" after a crash.
 */
export type SendResult =
  | {
      kind: "accepted";
      messageId: string;
      acceptedAt: Date;
      duplicate: boolean;
      /** The id a relay gave the message when it replaces the Message-ID (Amazon SES, Microsoft 365). */
      serverMessageId?: string | null;
    }
  | { kind: "rejected"; reason: "invalid_address" | "rejected"; message: string }
  /** Handed over, no final reply (connection lost after DATA, or a crash in flight): never resent. */
  | { kind: "unknown"; messageId: string; message: string };

export type Handover =
  | { state: "accepted"; messageId: string; acceptedAt: Date }
  | { state: "unknown" }
  | null;

export interface EmailProvider {
  readonly name: "smtp" | "outbox";
  send(email: OutgoingEmail): Promise<SendResult>;
  /**
   * What became of each key, in one read of the ledger: accepted (the code it carried stands), unknown (never
   * resend); a key never handed over (or refused) is absent.
   */
  lookup(idempotencyKeys: string[]): Promise<Map<string, Handover>>;
  close?(): Promise<void>;
}

/** A transport without the ledger: what email-smtp and email-outbox implement. */
export interface EmailTransport {
  readonly name: "smtp" | "outbox";
  send(email: OutgoingEmail): Promise<SendResult>;
  close?(): Promise<void>;
}

/** Still failing after every retry (4xx, relay down, login refused): the job fails and pg-boss retries it later. */
export class EmailTransientError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "EmailTransientError";
  }
}

export interface ProviderOptions {
  /** Messages per second; null = unlimited. */
  ratePerSecond?: number | null;
  maxAttempts?: number;
  /** Cap on one backoff wait, in ms. */
  maxWaitMs?: number;
  sleep?: (ms: number) => Promise<void>;
}

export const defaultSleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/**
 * One provider per batch or job run. SMTP connections are pooled per provider: a caller that creates one
 * closes it (`close()`) when its run ends.
 */
export function createEmailProvider(
  db: DB,
  config: Pick<AppConfig, "mail" | "outboxDir">,
  options: ProviderOptions = {},
): EmailProvider {
  // A burst of ~50 ms of sends lets the limiter catch up after a slow response without exceeding the rate
  // over any second by more than a few percent.
  const rate = options.ratePerSecond ?? null;
  const burst = rate ? Math.max(1, Math.ceil(rate / 20)) : 1;
  const bucket = new TokenBucket(rate, burst, undefined, options.sleep ?? defaultSleep);
  const transport: EmailTransport = config.mail.smtp
    ? new SmtpEmailProvider(config.mail.smtp, config.mail.from, bucket, options)
    : new OutboxSink(config.outboxDir, config.mail.from, bucket);
  return ledgered(db, transport, config.mail.from);
}
