import { z } from "zod";
import {
  bareMessageId,
  type EmailEvent,
  type EmailEventKind,
  eventHash,
  scrubAddresses,
} from "./bounce-event";

/**
 * Mailjet's Event API (https://dev.mailjet.com/email/guides/webhooks/): one object per event, or an array of
 * them when "group events" is on. No signature: the callback URL carries basic-auth credentials, checked by
 * the route. Our Message-ID is not in the event, but the `X-MJ-CustomID` header we send (the same value) comes
 * back as `CustomID`. `bounce` says `hard_bounce: true|false`; `blocked` means Mailjet refused to send
 * (suppressed, or judged spam); `spam` is a complaint; `sent` is Mailjet's "delivered".
 */
const mailjetEvent = z
  .object({
    event: z.string().min(1).max(50),
    time: z.number().optional(),
    MessageID: z.union([z.number(), z.string()]).optional(),
    Message_GUID: z.string().max(200).optional(),
    email: z.string().max(320).optional(),
    CustomID: z.string().max(500).optional(),
    hard_bounce: z.boolean().optional(),
    error_related_to: z.string().optional(),
    error: z.string().optional(),
    comment: z.string().optional(),
    smtp_reply: z.string().optional(),
  })
  .passthrough();

export const mailjetPayload = z.union([mailjetEvent, z.array(mailjetEvent).min(1).max(1000)]);

function kindOf(e: z.infer<typeof mailjetEvent>): EmailEventKind | null {
  switch (e.event) {
    case "sent":
      return "delivered";
    case "bounce":
      return e.hard_bounce === false ? "soft_bounce" : "hard_bounce";
    case "blocked":
      return "blocked";
    case "spam":
      return "complaint";
    default:
      return null;
  }
}

export function mailjetEvents(body: z.infer<typeof mailjetPayload>): {
  events: EmailEvent[];
  ignored: number;
} {
  const list = Array.isArray(body) ? body : [body];
  const events: EmailEvent[] = [];
  for (const e of list) {
    const kind = kindOf(e);
    if (!kind) continue;
    const reason = [e.error_related_to, e.error, e.comment].filter(Boolean).join(" : ");
    events.push({
      kind,
      provider: "mailjet",
      providerEventId: eventHash(e.event, e.Message_GUID ?? e.MessageID, e.email?.toLowerCase(), e.time),
      messageId: bareMessageId(e.CustomID),
      recipient: e.email?.trim().toLowerCase() || null,
      occurredAt: e.time ? new Date(e.time * 1000) : new Date(),
      detail: scrubAddresses(reason || e.smtp_reply),
    });
  }
  return { events, ignored: list.length - events.length };
}
