import { z } from "zod";
import {
  bareMessageId,
  type EmailEvent,
  type EmailEventKind,
  eventDate,
  scrubAddresses,
} from "./bounce-event";

/**
 * A Scaleway Transactional Email webhook event, the `Message` of a Scaleway Topics and Events (SNS) notification
 * (https://www.scaleway.com/en/docs/transactional-email/reference-content/webhook-events-payloads/). Our
 * Message-ID is among `email_headers` ({key, value}); `id` is the event's own id.
 */
const KINDS: Record<string, EmailEventKind> = {
  email_delivered: "delivered",
  email_dropped: "hard_bounce",
  email_mailbox_not_found: "hard_bounce",
  email_deferred: "soft_bounce",
  email_blocklisted: "blocked",
  email_spam: "complaint",
};

export const scalewayEvent = z
  .object({
    id: z.string().min(1).max(200),
    type: z.string().min(1).max(50),
    created_at: z.string().optional(),
    email_id: z.string().max(200).optional(),
    email_to: z.string().max(320).optional(),
    email_headers: z.array(z.object({ key: z.string(), value: z.string() })).optional(),
    email_response_code: z.number().optional(),
    email_response_message: z.string().optional(),
    email_error: z.string().optional(),
    blocklist_type: z.string().optional(),
  })
  .passthrough();
export type ScalewayEvent = z.infer<typeof scalewayEvent>;

export function scalewayEvents(e: ScalewayEvent): EmailEvent[] {
  const kind = KINDS[e.type];
  if (!kind) return [];
  const header = e.email_headers?.find((h) => h.key.toLowerCase() === "message-id")?.value;
  const reason = [e.email_response_code, e.email_response_message ?? e.email_error ?? e.blocklist_type]
    .filter((p) => p !== undefined && p !== "")
    .join(" ");
  return [
    {
      kind,
      provider: "scaleway",
      providerEventId: e.id,
      messageId: bareMessageId(header),
      serverMessageId: bareMessageId(e.email_id),
      recipient: e.email_to?.trim().toLowerCase() || null,
      occurredAt: eventDate(e.created_at),
      detail: scrubAddresses(reason),
    },
  ];
}
