import { mkdirSync, readdirSync, readFileSync, renameSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import { simpleParser } from "mailparser";
import nodemailer from "nodemailer";
import { mailOptions, messageIdFor, type OutgoingEmail } from "./email-message.server";
import type { EmailTransport, SendResult } from "./email-provider.server";
import type { TokenBucket } from "./token-bucket";

/**
 * The dev and demo "relay": nodemailer's stream transport composes each message exactly as SMTP would send it,
 * and the result is written to `<outboxDir>/<key>.eml` (a temp name, then renamed). It holds the clear code, as
 * a real mailbox would: demo use only, shown on `/admin/outbox`.
 */
export function outboxFileName(idempotencyKey: string): string {
  return `${idempotencyKey.replace(/[^A-Za-z0-9._-]/g, "_")}.eml`;
}

const ADDRESS = /^[^@\s]+@[^@\s]+\.[^@\s]+$/;

export class OutboxSink implements EmailTransport {
  readonly name = "outbox" as const;
  private readonly transport = nodemailer.createTransport({
    streamTransport: true,
    buffer: true,
    newline: "windows",
  });

  constructor(
    private readonly dir: string,
    private readonly from: string,
    private readonly bucket: TokenBucket,
  ) {}

  async send(email: OutgoingEmail): Promise<SendResult> {
    await this.bucket.take();
    // What a relay would refuse at RCPT TO.
    if (!ADDRESS.test(email.to)) {
      return { kind: "rejected", reason: "invalid_address", message: "adresse e-mail invalide" };
    }
    const info = await this.transport.sendMail(mailOptions(email, this.from));
    mkdirSync(this.dir, { recursive: true });
    const file = path.join(this.dir, outboxFileName(email.idempotencyKey));
    const tmp = `${file}.${process.pid}.tmp`;
    writeFileSync(tmp, info.message as Buffer, { mode: 0o600 });
    renameSync(tmp, file);
    return {
      kind: "accepted",
      messageId: messageIdFor(email.idempotencyKey, this.from),
      acceptedAt: new Date(),
      duplicate: false,
    };
  }
}

export interface OutboxEntry {
  file: string;
  to: string;
  subject: string;
  date: Date;
  size: number;
}

/** The outbox's messages, newest first (the demo outbox page), parsed by mailparser. */
export async function listOutbox(
  dir: string,
  opts: { offset?: number; limit?: number } = {},
): Promise<{ total: number; entries: OutboxEntry[] }> {
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
  const entries = await Promise.all(
    page.map(async ({ n, s }) => {
      const parsed = await simpleParser(readFileSync(path.join(dir, n)), {
        skipHtmlToText: true,
        skipTextToHtml: true,
      });
      return {
        file: n,
        to: addressText(parsed.to),
        subject: parsed.subject ?? "",
        date: s.mtime,
        size: s.size,
      };
    }),
  );
  return { total: names.length, entries };
}

function addressText(value: { text: string } | Array<{ text: string }> | undefined): string {
  if (!value) return "";
  return Array.isArray(value) ? value.map((v) => v.text).join(", ") : value.text;
}

/** One message of the outbox, parsed into its headers, text and HTML (file name checked: no path tricks). */
export async function readOutboxMessage(
  dir: string,
  file: string,
): Promise<{ headers: Record<string, string>; text: string; html: string } | null> {
  if (!/^[A-Za-z0-9._-]+\.eml$/.test(file)) return null;
  let raw: Buffer;
  try {
    raw = readFileSync(path.join(dir, file));
  } catch {
    return null;
  }
  const parsed = await simpleParser(raw, { skipTextToHtml: true });
  const headers: Record<string, string> = {};
  for (const line of parsed.headerLines) {
    const i = line.line.indexOf(":");
    headers[line.key] = i > 0 ? line.line.slice(i + 1).trim() : "";
  }
  headers.subject = parsed.subject ?? "";
  headers.from = addressText(parsed.from);
  headers.to = addressText(parsed.to);
  return { headers, text: parsed.text ?? "", html: typeof parsed.html === "string" ? parsed.html : "" };
}
