import MailComposer, { type MailComposerOptions } from "nodemailer/lib/mail-composer";

/**
 * One notice as MIME, composed by nodemailer's MailComposer for every path (SMTP, dev outbox), so what the
 * outbox shows is byte for byte what a relay would receive.
 *
 * The Message-ID is derived from the notification's key, so a relay or a provider can deduplicate, and a bounce
 * (webhook or DSN) names the notification it belongs to; it is stored without its angle brackets in
 * `wave_member.provider_message_id`. Mailjet does not return the Message-ID in its events but returns the
 * `X-MJ-CustomID` header as `CustomID`, so the same value goes there. No `List-Unsubscribe`: these are legal
 * notices (art. R1111-28 CSP), not newsletters.
 */
export interface OutgoingEmail {
  /** The notification's key (e.g. `mes-ops-notif-<member>-<code>`), unique per message that may be sent. */
  idempotencyKey: string;
  to: string;
  subject: string;
  html: string;
  text: string;
}

/** `Assurance Maladie <assurance-maladie@info.ameli.fr>` → `info.ameli.fr`. */
export function senderDomain(from: string): string {
  const address = /<([^>]+)>/.exec(from)?.[1] ?? from;
  return (
    address
      .slice(address.lastIndexOf("@") + 1)
      .trim()
      .toLowerCase() || "localhost"
  );
}

/** The bare address of a From header value, for the SMTP envelope (MAIL FROM). */
export function senderAddress(from: string): string {
  return (/<([^>]+)>/.exec(from)?.[1] ?? from).trim();
}

/** The Message-ID of a notification, without angle brackets: `<key>@<sender's domain>`. */
export function messageIdFor(idempotencyKey: string, from: string): string {
  return `${idempotencyKey.replace(/[^A-Za-z0-9._-]/g, "_")}@${senderDomain(from)}`;
}

/** The message's fields as nodemailer takes them, for MailComposer (SMTP) and the outbox's stream transport alike. */
export function mailOptions(email: OutgoingEmail, from: string, date = new Date()): MailComposerOptions {
  const messageId = messageIdFor(email.idempotencyKey, from);
  return {
    from,
    to: email.to,
    subject: email.subject,
    text: email.text,
    html: email.html,
    date,
    messageId: `<${messageId}>`,
    headers: {
      "X-MJ-CustomID": messageId,
      // RFC 3834: an automatic message; auto-responders must not answer it.
      "Auto-Submitted": "auto-generated",
    },
  };
}

export async function composeEmail(email: OutgoingEmail, from: string, date = new Date()): Promise<Buffer> {
  return new MailComposer(mailOptions(email, from, date)).compile().build();
}
