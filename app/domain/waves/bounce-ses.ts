import { z } from "zod";
import {
  bareMessageId,
  type EmailEvent,
  type EmailEventKind,
  eventDate,
  scrubAddresses,
} from "./bounce-event";

/**
 * An Amazon SES notification, the `Message` of an SNS notification: either the identity's feedback
 * notifications (`notificationType`, https://docs.aws.amazon.com/ses/latest/dg/notification-contents.html) or a
 * configuration set's event publishing (`eventType`, same `bounce` / `complaint` / `delivery` objects). SES
 * replaces our Message-ID with its own (`mail.messageId`, which the ledger keeps as the relay's id); our header
 * is still in `mail.headers` (when not truncated) and `mail.commonHeaders.messageId`. One event per recipient.
 */
const recipient = z.object({ emailAddress: z.string().max(320) }).passthrough();
export const sesMessage = z
  .object({
    notificationType: z.string().optional(),
    eventType: z.string().optional(),
    mail: z
      .object({
        messageId: z.string().max(200),
        timestamp: z.string().optional(),
        headers: z.array(z.object({ name: z.string(), value: z.string() })).optional(),
        commonHeaders: z.object({ messageId: z.string().optional() }).passthrough().optional(),
      })
      .passthrough(),
    bounce: z
      .object({
        bounceType: z.string(),
        bounceSubType: z.string().optional(),
        bouncedRecipients: z.array(
          recipient.extend({ status: z.string().optional(), diagnosticCode: z.string().optional() }),
        ),
        timestamp: z.string().optional(),
      })
      .passthrough()
      .optional(),
    complaint: z
      .object({
        complainedRecipients: z.array(recipient),
        timestamp: z.string().optional(),
        complaintFeedbackType: z.string().optional(),
      })
      .passthrough()
      .optional(),
    delivery: z
      .object({
        recipients: z.array(z.string().max(320)),
        timestamp: z.string().optional(),
        smtpResponse: z.string().optional(),
      })
      .passthrough()
      .optional(),
    deliveryDelay: z
      .object({
        delayedRecipients: z.array(recipient),
        timestamp: z.string().optional(),
        delayType: z.string().optional(),
      })
      .passthrough()
      .optional(),
  })
  .passthrough();
export type SesMessage = z.infer<typeof sesMessage>;

function bounceKind(bounceType: string, subType: string | undefined): EmailEventKind {
  if (bounceType !== "Permanent") return "soft_bounce"; // Transient, Undetermined: no verdict yet
  return subType === "Suppressed" || subType === "OnAccountSuppressionList" ? "blocked" : "hard_bounce";
}

/** `snsMessageId` makes each event's id: SNS keeps it when it retries, so a retry is a duplicate. */
export function sesEvents(message: SesMessage, snsMessageId: string): EmailEvent[] {
  const type = message.notificationType ?? message.eventType;
  const header = message.mail.headers?.find((h) => h.name.toLowerCase() === "message-id")?.value;
  const base = {
    provider: "ses" as const,
    messageId: bareMessageId(header ?? message.mail.commonHeaders?.messageId),
    serverMessageId: bareMessageId(message.mail.messageId),
  };
  const out: EmailEvent[] = [];
  const push = (
    i: number,
    e: Omit<EmailEvent, "provider" | "messageId" | "serverMessageId" | "providerEventId">,
  ) => out.push({ ...base, ...e, providerEventId: `${snsMessageId}:${i}` });
  if (type === "Bounce" && message.bounce) {
    const b = message.bounce;
    b.bouncedRecipients.forEach((r, i) => {
      push(i, {
        kind: bounceKind(b.bounceType, b.bounceSubType),
        recipient: r.emailAddress.toLowerCase(),
        occurredAt: eventDate(b.timestamp),
        detail: scrubAddresses(
          `${b.bounceType}/${b.bounceSubType ?? ""} ${r.status ?? ""} ${r.diagnosticCode ?? ""}`.trim(),
        ),
      });
    });
  } else if (type === "Complaint" && message.complaint) {
    const c = message.complaint;
    c.complainedRecipients.forEach((r, i) => {
      push(i, {
        kind: "complaint",
        recipient: r.emailAddress.toLowerCase(),
        occurredAt: eventDate(c.timestamp),
        detail: c.complaintFeedbackType ?? null,
      });
    });
  } else if (type === "Delivery" && message.delivery) {
    const d = message.delivery;
    d.recipients.forEach((r, i) => {
      push(i, {
        kind: "delivered",
        recipient: r.toLowerCase(),
        occurredAt: eventDate(d.timestamp),
        detail: scrubAddresses(d.smtpResponse),
      });
    });
  } else if (type === "DeliveryDelay" && message.deliveryDelay) {
    const d = message.deliveryDelay;
    d.delayedRecipients.forEach((r, i) => {
      push(i, {
        kind: "soft_bounce",
        recipient: r.emailAddress.toLowerCase(),
        occurredAt: eventDate(d.timestamp),
        detail: d.delayType ?? null,
      });
    });
  }
  return out;
}
