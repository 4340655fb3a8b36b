import { randomUUID } from "node:crypto";
import { mkdirSync, readdirSync, readFileSync, renameSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import type { AppConfig } from "../../config/config.server";
import { TokenBucket } from "./token-bucket";

/**
 * The transactional email provider: an HTTP API client (rate-limited, retried, idempotent), or a dev sink
 * that writes each message as an .eml file under config.outboxDir when no provider is configured.
 *
 * Provider contract (what tests simulate with msw):
 * - `POST {url}/v1/messages` with `Idempotency-Key`: 202 `{id, status:"accepted"}`; the same key again:
 *   200 `{id, status:"accepted", duplicate:true}` and nothing is sent twice; 400 `{error:"invalid_address"}`;
 *   429 with `Retry-After`; 5xx.
 * - `GET {url}/v1/messages?idempotency_key=K`: 200 `{id, accepted_at}` or 404 (was a message accepted?).
 */

export interface OutgoingEmail {
  idempotencyKey: string;
  to: string;
  subject: string;
  html: string;
  text: string;
}

export type SendResult =
  | { kind: "accepted"; messageId: string; acceptedAt: Date; duplicate: boolean }
  | { kind: "rejected"; reason: "invalid_address" | "rejected"; message: string };

export interface EmailProvider {
  readonly name: "http" | "dev-sink";
  send(email: OutgoingEmail): Promise<SendResult>;
  /** Whether a message with this key was accepted (crash recovery: the clear code is gone). */
  lookup(idempotencyKey: string): Promise<{ messageId: string; acceptedAt: Date } | null>;
}

/** Still failing after every retry (timeouts, 5xx, 429): the batch job fails and pg-boss retries it later. */
export class EmailTransientError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "EmailTransientError";
  }
}

export interface ProviderOptions {
  /** Messages per second; null = unlimited. */
  ratePerSecond?: number | null;
  timeoutMs?: number;
  maxAttempts?: number;
  /** Cap on one wait (Retry-After or backoff), in ms. */
  maxWaitMs?: number;
  sleep?: (ms: number) => Promise<void>;
}

const defaultSleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export function createEmailProvider(
  config: Pick<AppConfig, "email" | "outboxDir">,
  options: ProviderOptions = {},
): EmailProvider {
  // A burst of ~50 ms of sends lets the limiter catch up after a slow response without exceeding the rate
  // over any second by more than a few percent.
  const rate = options.ratePerSecond ?? null;
  const burst = rate ? Math.max(1, Math.ceil(rate / 20)) : 1;
  const bucket = new TokenBucket(rate, burst, undefined, options.sleep ?? defaultSleep);
  if (!config.email.url) return new DevSink(config.outboxDir, bucket);
  return new HttpEmailProvider(config.email.url, config.email.token, bucket, options);
}

/** Parses Retry-After (seconds or an HTTP date) into milliseconds. */
export function retryAfterMs(header: string | null, now = Date.now()): number | null {
  if (!header) return null;
  const seconds = Number(header);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const at = Date.parse(header);
  return Number.isNaN(at) ? null : Math.max(0, at - now);
}

class HttpEmailProvider implements EmailProvider {
  readonly name = "http" as const;
  private readonly timeoutMs: number;
  private readonly maxAttempts: number;
  private readonly maxWaitMs: number;
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(
    private readonly url: string,
    private readonly token: string | undefined,
    private readonly bucket: TokenBucket,
    options: ProviderOptions,
  ) {
    this.timeoutMs = options.timeoutMs ?? 10_000;
    this.maxAttempts = options.maxAttempts ?? 5;
    this.maxWaitMs = options.maxWaitMs ?? 60_000;
    this.sleep = options.sleep ?? defaultSleep;
  }

  private headers(extra: Record<string, string> = {}): Record<string, string> {
    return { ...(this.token ? { authorization: `Bearer ${this.token}` } : {}), ...extra };
  }

  async send(email: OutgoingEmail): Promise<SendResult> {
    let lastProblem = "";
    for (let attempt = 1; attempt <= this.maxAttempts; attempt++) {
      await this.bucket.take();
      let response: Response;
      try {
        response = await fetch(`${this.url}/v1/messages`, {
          method: "POST",
          headers: this.headers({
            "content-type": "application/json",
            "idempotency-key": email.idempotencyKey,
          }),
          body: JSON.stringify({ to: email.to, subject: email.subject, html: email.html, text: email.text }),
          signal: AbortSignal.timeout(this.timeoutMs),
        });
      } catch (error) {
        // Timeout or network error: the message may or may not have been accepted; the retry carries the
        // same idempotency key, so the provider sends it at most once.
        lastProblem = (error as Error).name === "TimeoutError" ? "délai dépassé" : "erreur réseau";
        await this.sleep(this.backoff(attempt));
        continue;
      }
      if (response.status === 200 || response.status === 202) {
        const body = (await response.json()) as { id: string; duplicate?: boolean; accepted_at?: string };
        return {
          kind: "accepted",
          messageId: body.id,
          acceptedAt: body.accepted_at ? new Date(body.accepted_at) : new Date(),
          duplicate: Boolean(body.duplicate),
        };
      }
      if (response.status === 429) {
        lastProblem = "limite de débit du fournisseur (429)";
        await response.text().catch(() => "");
        const wait = retryAfterMs(response.headers.get("retry-after")) ?? this.backoff(attempt);
        await this.sleep(Math.min(wait, this.maxWaitMs));
        continue;
      }
      if (response.status >= 500) {
        lastProblem = `erreur du fournisseur (${response.status})`;
        await response.text().catch(() => "");
        await this.sleep(this.backoff(attempt));
        continue;
      }
      const body = (await response.json().catch(() => ({}))) as { error?: string; message?: string };
      if (body.error === "invalid_address") {
        return { kind: "rejected", reason: "invalid_address", message: "adresse e-mail invalide" };
      }
      return {
        kind: "rejected",
        reason: "rejected",
        message: `refusé par le fournisseur (${response.status})`,
      };
    }
    throw new EmailTransientError(`envoi impossible après ${this.maxAttempts} tentatives : ${lastProblem}`);
  }

  private backoff(attempt: number): number {
    const base = Math.min(this.maxWaitMs, 250 * 2 ** (attempt - 1));
    return base / 2 + Math.random() * (base / 2);
  }

  async lookup(idempotencyKey: string): Promise<{ messageId: string; acceptedAt: Date } | null> {
    for (let attempt = 1; attempt <= this.maxAttempts; attempt++) {
      try {
        const response = await fetch(
          `${this.url}/v1/messages?idempotency_key=${encodeURIComponent(idempotencyKey)}`,
          {
            headers: this.headers(),
            signal: AbortSignal.timeout(this.timeoutMs),
          },
        );
        if (response.status === 404) {
          await response.text().catch(() => "");
          return null;
        }
        if (response.ok) {
          const body = (await response.json()) as { id: string; accepted_at: string };
          return { messageId: body.id, acceptedAt: new Date(body.accepted_at) };
        }
        await response.text().catch(() => "");
      } catch {
        // retried below
      }
      await this.sleep(this.backoff(attempt));
    }
    throw new EmailTransientError("fournisseur injoignable pour vérifier un envoi");
  }
}

/** RFC 2047 encoded-word for a UTF-8 header. */
function encodeHeader(value: string): string {
  return /^[\x20-\x7e]*$/.test(value)
    ? value
    : `=?UTF-8?B?${Buffer.from(value, "utf8").toString("base64")}?=`;
}

export function outboxFileName(idempotencyKey: string): string {
  return `${idempotencyKey.replace(/[^A-Za-z0-9._-]/g, "_")}.eml`;
}

/**
 * Dev sink: each message becomes `<outboxDir>/<key>.eml` (written to a temp name, then renamed), so the
 * same key twice is stored once. It holds the clear code, as a real mailbox would: demo use only.
 */
class DevSink implements EmailProvider {
  readonly name = "dev-sink" as const;
  constructor(
    private readonly dir: string,
    private readonly bucket: TokenBucket,
  ) {}

  async send(email: OutgoingEmail): Promise<SendResult> {
    await this.bucket.take();
    if (!/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(email.to)) {
      return { kind: "rejected", reason: "invalid_address", message: "adresse e-mail invalide" };
    }
    const existing = await this.lookup(email.idempotencyKey);
    if (existing) return { kind: "accepted", ...existing, duplicate: true };
    mkdirSync(this.dir, { recursive: true });
    const acceptedAt = new Date();
    const messageId = `dev-${randomUUID()}`;
    const boundary = `=_mes-ops_${randomUUID()}`;
    const eml = [
      "From: Assurance Maladie <ne-pas-repondre@monespacesante.fr>",
      `To: ${email.to}`,
      `Subject: ${encodeHeader(email.subject)}`,
      `Date: ${acceptedAt.toUTCString()}`,
      `Message-ID: <${messageId}@mes-ops.local>`,
      `X-Idempotency-Key: ${email.idempotencyKey}`,
      "MIME-Version: 1.0",
      `Content-Type: multipart/alternative; boundary="${boundary}"`,
      "",
      `--${boundary}`,
      "Content-Type: text/plain; charset=utf-8",
      "Content-Transfer-Encoding: 8bit",
      "",
      email.text,
      `--${boundary}`,
      "Content-Type: text/html; charset=utf-8",
      "Content-Transfer-Encoding: 8bit",
      "",
      email.html,
      `--${boundary}--`,
      "",
    ].join("\r\n");
    const file = path.join(this.dir, outboxFileName(email.idempotencyKey));
    const tmp = `${file}.${process.pid}.tmp`;
    writeFileSync(tmp, eml, { mode: 0o600 });
    renameSync(tmp, file);
    return { kind: "accepted", messageId, acceptedAt, duplicate: false };
  }

  async lookup(idempotencyKey: string): Promise<{ messageId: string; acceptedAt: Date } | null> {
    const file = path.join(this.dir, outboxFileName(idempotencyKey));
    try {
      const head = readFileSync(file, "utf8").slice(0, 2000);
      const id = /Message-ID: <([^@>]+)@/.exec(head)?.[1] ?? "dev-unknown";
      return { messageId: id, acceptedAt: statSync(file).mtime };
    } catch {
      return null;
    }
  }
}

export interface OutboxEntry {
  file: string;
  to: string;
  subject: string;
  date: Date;
  size: number;
}

function decodeHeader(value: string): string {
  return value.replace(/=\?UTF-8\?B\?([^?]+)\?=/gi, (_, b64: string) =>
    Buffer.from(b64, "base64").toString("utf8"),
  );
}

/** The dev sink's messages, newest first (the demo outbox page). */
export function listOutbox(
  dir: string,
  opts: { offset?: number; limit?: number } = {},
): { total: number; entries: OutboxEntry[] } {
  let names: string[] = [];
  try {
    names = readdirSync(dir).filter((n) => n.endsWith(".eml"));
  } catch {
    return { total: 0, entries: [] };
  }
  const withTimes = names
    .map((n) => ({ n, s: statSync(path.join(dir, n)) }))
    .sort((a, b) => b.s.mtimeMs - a.s.mtimeMs);
  const page = withTimes.slice(opts.offset ?? 0, (opts.offset ?? 0) + (opts.limit ?? 50));
  return {
    total: names.length,
    entries: page.map(({ n, s }) => {
      const head = readFileSync(path.join(dir, n), "utf8").slice(0, 2000);
      return {
        file: n,
        to: /^To: (.*)$/m.exec(head)?.[1]?.trim() ?? "",
        subject: decodeHeader(/^Subject: (.*)$/m.exec(head)?.[1]?.trim() ?? ""),
        date: s.mtime,
        size: s.size,
      };
    }),
  };
}

/** One message of the dev sink, parsed into its text and HTML parts (file name checked: no path tricks). */
export function readOutboxMessage(
  dir: string,
  file: string,
): { headers: Record<string, string>; text: string; html: string } | null {
  if (!/^[A-Za-z0-9._-]+\.eml$/.test(file)) return null;
  let raw: string;
  try {
    raw = readFileSync(path.join(dir, file), "utf8");
  } catch {
    return null;
  }
  const [head] = raw.split("\r\n\r\n", 1);
  const headers: Record<string, string> = {};
  for (const line of head.split("\r\n")) {
    const i = line.indexOf(":");
    if (i > 0) headers[line.slice(0, i).toLowerCase()] = decodeHeader(line.slice(i + 1).trim());
  }
  const boundary = /boundary="([^"]+)"/.exec(headers["content-type"] ?? "")?.[1];
  const parts = boundary ? raw.split(`--${boundary}`) : [];
  const body = (type: string) => {
    const part = parts.find((p) => p.includes(`Content-Type: ${type}`));
    if (!part) return "";
    return part.slice(part.indexOf("\r\n\r\n") + 4).replace(/\r\n$/, "");
  };
  return { headers, text: body("text/plain"), html: body("text/html") };
}
