import { composeEmail, messageIdFor, type OutgoingEmail, senderAddress } from "./email-message.server";
import {
  defaultSleep,
  EmailTransientError,
  type EmailTransport,
  type ProviderOptions,
  type SendResult,
} from "./email-provider.server";
import { SmtpPool, type SmtpRelayConfig } from "./smtp-pool.server";
import type { TokenBucket } from "./token-bucket";

/**
 * Wave emails, code-reset emails and helpline confirmations over SMTP, to any relay (ADR 025). The relay's
 * reply decides:
 * - 2xx: accepted;
 * - 4xx (greylisting, rate limit, relay busy) or nothing sent (relay down, login refused): retried with
 *   exponential backoff, then EmailTransientError (the job fails, pg-boss retries later);
 * - 5xx on the recipient (RCPT TO) or on the message (end of DATA): refused for good → the caller falls back
 *   to a letter with a new code;
 * - 5xx on the sender (MAIL FROM): a relay that refuses our sender refuses every notice, which is a
 *   configuration problem, not a reason to send 69 million letters: transient, the wave stalls visibly;
 * - connection lost after DATA: unknown, returned at once, never resent.
 */
export class SmtpEmailProvider implements EmailTransport {
  readonly name = "smtp" as const;
  private readonly pool: SmtpPool;
  private readonly maxAttempts: number;
  private readonly maxWaitMs: number;
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(
    relay: SmtpRelayConfig,
    private readonly from: string,
    private readonly bucket: TokenBucket,
    options: ProviderOptions = {},
  ) {
    this.pool = new SmtpPool(relay);
    this.maxAttempts = options.maxAttempts ?? 5;
    this.maxWaitMs = options.maxWaitMs ?? 60_000;
    this.sleep = options.sleep ?? defaultSleep;
  }

  get stats() {
    return this.pool.stats;
  }

  async send(email: OutgoingEmail): Promise<SendResult> {
    const raw = await composeEmail(email, this.from);
    const messageId = messageIdFor(email.idempotencyKey, this.from);
    const envelope = { from: senderAddress(this.from), to: email.to };
    let lastProblem = "";
    for (let attempt = 1; attempt <= this.maxAttempts; attempt++) {
      await this.bucket.take();
      const outcome = await this.pool.submit(envelope, raw);
      switch (outcome.kind) {
        case "accepted":
          return {
            kind: "accepted",
            messageId,
            acceptedAt: new Date(),
            duplicate: false,
            serverMessageId: outcome.serverMessageId?.replace(/^<|>$/g, "") ?? null,
          };
        case "unknown":
          return { kind: "unknown", messageId, message: `connexion perdue après DATA (${outcome.problem})` };
        case "not_sent":
          lastProblem = outcome.problem;
          break;
        case "refused":
          if (outcome.code >= 500 && outcome.stage === "recipient") {
            return {
              kind: "rejected",
              reason: "invalid_address",
              message: `adresse refusée par le relais (${outcome.code})`,
            };
          }
          if (outcome.code >= 500 && outcome.stage === "data") {
            return {
              kind: "rejected",
              reason: "rejected",
              message: `message refusé par le relais (${outcome.code})`,
            };
          }
          lastProblem = `${outcome.code} ${outcome.response}`;
          if (outcome.code >= 500)
            throw new EmailTransientError(`expéditeur refusé par le relais : ${lastProblem}`);
          break;
      }
      if (attempt < this.maxAttempts) await this.sleep(this.backoff(attempt));
    }
    throw new EmailTransientError(`envoi impossible après ${this.maxAttempts} tentatives : ${lastProblem}`);
  }

  async close(): Promise<void> {
    await this.pool.close();
  }

  private backoff(attempt: number): number {
    const base = Math.min(this.maxWaitMs, 250 * 2 ** (attempt - 1));
    return base / 2 + Math.random() * (base / 2);
  }
}
