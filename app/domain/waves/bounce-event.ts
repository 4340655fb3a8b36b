import { createHash } from "node:crypto";

/**
 * What every provider's report of a sent email comes down to (ADR 028). Each adapter (Brevo, Mailjet,
 * Amazon SES, Scaleway TEM, a DSN in a mailbox) turns its own shape into these; applyEmailEvents acts on them.
 * - delivered: the recipient's server took it; recorded, never undoes a fallback.
 * - hard_bounce / blocked: the address cannot be reached (blocked: the provider's suppression list refused to
 *   send) → letter fallback with a new code.
 * - soft_bounce: temporary; recorded, changes nothing (the relay retries; its final failure comes as a hard one).
 * - complaint: the person marked it as spam; it was received, so no letter, but an incident for the manager.
 */
export const EMAIL_EVENT_KINDS = ["delivered", "hard_bounce", "soft_bounce", "blocked", "complaint"] as const;
export type EmailEventKind = (typeof EMAIL_EVENT_KINDS)[number];

export const EMAIL_EVENT_PROVIDERS = ["brevo", "mailjet", "ses", "scaleway", "dsn"] as const;
export type EmailEventProvider = (typeof EMAIL_EVENT_PROVIDERS)[number];

export interface EmailEvent {
  kind: EmailEventKind;
  provider: EmailEventProvider;
  /** Unique per event at its provider: its own id when it has one, else a hash of what identifies it. */
  providerEventId: string;
  /** Our Message-ID (or Mailjet's CustomID, the same value), without angle brackets; null when not given. */
  messageId: string | null;
  /** The id the relay gave the message when it replaced our Message-ID (Amazon SES), if known. */
  serverMessageId?: string | null;
  /** The recipient's address as reported; used to match only when no id is given, never logged or stored. */
  recipient: string | null;
  occurredAt: Date;
  /** The provider's reason (SMTP reply, bounce subtype), shortened; holds no address. */
  detail?: string | null;
}

/** `<abc@host>` → `abc@host`; empty → null. */
export function bareMessageId(value: unknown): string | null {
  if (typeof value !== "string") return null;
  const bare = value.trim().replace(/^<+/, "").replace(/>+$/, "").trim();
  return bare.length > 0 && bare.length <= 500 ? bare : null;
}

/** A stable id for an event whose provider gives none (Brevo, Mailjet): the same event re-sent hashes the same. */
export function eventHash(...parts: Array<string | number | null | undefined>): string {
  return createHash("sha256")
    .update(parts.map((p) => String(p ?? "")).join("\u0000"))
    .digest("hex")
    .slice(0, 40);
}

/** The domain of an address, the only part of it kept (for the unmatched list). */
export function recipientDomain(address: string | null): string | null {
  if (!address) return null;
  const at = address.lastIndexOf("@");
  return at < 0
    ? null
    : address
        .slice(at + 1)
        .trim()
        .toLowerCase()
        .slice(0, 200) || null;
}

/** Addresses and other personal data never reach the logs or the stored detail. */
export function scrubAddresses(text: string | null | undefined, max = 300): string | null {
  if (!text) return null;
  return text.replace(/[^\s<>()"',;:]+@[^\s<>()"',;:]+/g, "<adresse>").slice(0, max);
}

/** A provider timestamp (unix seconds, ISO string, or "YYYY-MM-DD HH:MM:SS") → Date; now when unreadable. */
export function eventDate(value: unknown, fallback = new Date()): Date {
  if (typeof value === "number" && Number.isFinite(value))
    return new Date(value < 1e12 ? value * 1000 : value);
  if (typeof value === "string" && value.trim()) {
    const d = new Date(/^\d{4}-\d{2}-\d{2} \d/.test(value) ? `${value.replace(" ", "T")}Z` : value);
    if (!Number.isNaN(d.getTime())) return d;
  }
  return fallback;
}
