import { z } from "zod";
import {
  bareMessageId,
  type EmailEvent,
  type EmailEventKind,
  eventDate,
  eventHash,
  scrubAddresses,
} from "./bounce-event";

/**
 * Brevo's transactional webhook (https://developers.brevo.com/docs/transactional-webhooks): one JSON object per
 * event, or an array when the webhook is created with `batched: true`. Brevo signs nothing; the webhook is
 * created with `auth: { type: "bearer", token }` (or basic auth in its URL), checked by the route. Its `id` is
 * the webhook's, not the event's, so an event is known by its type, message, recipient and `ts_event`.
 */
const KINDS: Record<string, EmailEventKind> = {
  delivered: "delivered",
  hard_bounce: "hard_bounce",
  invalid_email: "hard_bounce",
  soft_bounce: "soft_bounce",
  deferred: "soft_bounce",
  blocked: "blocked",
  spam: "complaint",
  complaint: "complaint",
};

const brevoEvent = z
  .object({
    event: z.string().min(1).max(50),
    email: z.string().max(320).optional(),
    "message-id": z.string().max(500).optional(),
    ts_event: z.number().optional(),
    ts_epoch: z.number().optional(),
    ts: z.number().optional(),
    date: z.string().optional(),
    reason: z.string().optional(),
  })
  .passthrough();

export const brevoPayload = z.union([brevoEvent, z.array(brevoEvent).min(1).max(1000)]);

export function brevoEvents(body: z.infer<typeof brevoPayload>): { events: EmailEvent[]; ignored: number } {
  const list = Array.isArray(body) ? body : [body];
  const events: EmailEvent[] = [];
  for (const e of list) {
    const kind = KINDS[e.event];
    if (!kind) continue;
    // ts_epoch is in milliseconds, ts_event and ts in seconds.
    const at = e.ts_epoch ?? (e.ts_event ?? e.ts ?? 0) * 1000;
    events.push({
      kind,
      provider: "brevo",
      providerEventId: eventHash(
        e.event,
        e["message-id"],
        e.email?.toLowerCase(),
        e.ts_epoch ?? e.ts_event ?? e.ts,
        e.date,
      ),
      messageId: bareMessageId(e["message-id"]),
      recipient: e.email?.trim().toLowerCase() || null,
      occurredAt: at > 0 ? new Date(at) : eventDate(e.date),
      detail: scrubAddresses(e.reason),
    });
  }
  return { events, ignored: list.length - events.length };
}
