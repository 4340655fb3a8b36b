import { simpleParser } from "mailparser";
import { bareMessageId, type EmailEvent, eventDate, eventHash, scrubAddresses } from "./bounce-event";

/**
 * A delivery status notification (RFC 3464) as a relay returns it to MAIL FROM — Postfix, Exim, Exchange all
 * write `multipart/report; report-type=delivery-status`: a human part, a `message/delivery-status` part (one
 * block about the message, then one per recipient: Final-Recipient, Action, Status) and the original message
 * (`message/rfc822`) or its headers (`text/rfc822-headers`), where our Message-ID is. Parsed with mailparser
 * (`keepDeliveryStatus`, so the report stays a part of its own instead of being folded into the text).
 * Action failed + Status 5.x.x → hard bounce; delayed or 4.x.x → soft; delivered → delivered; others
 * (relayed, expanded) say nothing about the person and are skipped.
 */
export type DsnResult = { ok: true; events: EmailEvent[] } | { ok: false; problem: string };

/** RFC 822-style fields of one block: unfolded, names lower-cased. */
function fields(block: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of block.replace(/\r?\n[ \t]+/g, " ").split(/\r?\n/)) {
    const colon = line.indexOf(":");
    if (colon > 0) out.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
  }
  return out;
}

/** `rfc822; a@b` → `a@b`. */
function typedAddress(value: string | undefined): string | null {
  if (!value) return null;
  const semi = value.indexOf(";");
  const address = (semi >= 0 ? value.slice(semi + 1) : value).trim().replace(/^<|>$/g, "");
  return address ? address.toLowerCase() : null;
}

export async function parseDsn(source: Buffer | string): Promise<DsnResult> {
  let mail: Awaited<ReturnType<typeof simpleParser>>;
  try {
    mail = await simpleParser(source, {
      keepDeliveryStatus: true,
      skipHtmlToText: true,
      skipTextLinks: true,
    });
  } catch {
    return { ok: false, problem: "message illisible" };
  }
  const type = mail.headers.get("content-type") as
    | { value?: string; params?: Record<string, string> }
    | undefined;
  if (type?.value !== "multipart/report" || type.params?.["report-type"]?.toLowerCase() !== "delivery-status")
    return { ok: false, problem: "pas un rapport de remise (multipart/report; report-type=delivery-status)" };
  const status = mail.attachments.find((a) =>
    ["message/delivery-status", "message/global-delivery-status"].includes(a.contentType),
  );
  if (!status) return { ok: false, problem: "partie message/delivery-status absente" };
  const original = mail.attachments.find((a) =>
    ["message/rfc822", "text/rfc822-headers", "message/global", "message/global-headers"].includes(
      a.contentType,
    ),
  );
  // Only the header block of the returned message: its body may be long and says nothing about who it was.
  const originalHeaders = original ? fields(original.content.toString("utf8").split(/\r?\n\r?\n/)[0]) : null;
  const messageId = bareMessageId(originalHeaders?.get("message-id"));
  const blocks = status.content
    .toString("utf8")
    .split(/\r?\n\s*\r?\n/)
    .filter((b) => b.trim());
  const perMessage = fields(blocks[0] ?? "");
  const reportId = bareMessageId(mail.messageId) ?? eventHash(status.content.toString("utf8"));
  const occurredAt = mail.date ?? eventDate(perMessage.get("arrival-date"));
  const events: EmailEvent[] = [];
  blocks.slice(1).forEach((block, i) => {
    const f = fields(block);
    const recipient = typedAddress(f.get("original-recipient")) ?? typedAddress(f.get("final-recipient"));
    const action = f.get("action")?.toLowerCase();
    const code = /^\s*([245])\.\d{1,3}\.\d{1,3}/.exec(f.get("status") ?? "")?.[1];
    const kind =
      action === "failed" && code !== "4"
        ? "hard_bounce"
        : action === "delayed" || (action === "failed" && code === "4")
          ? "soft_bounce"
          : action === "delivered"
            ? "delivered"
            : null;
    if (!kind || !recipient) return;
    events.push({
      kind,
      provider: "dsn",
      providerEventId: `${reportId}:${i}`,
      messageId,
      recipient,
      occurredAt,
      detail: scrubAddresses(`${f.get("status") ?? ""} ${f.get("diagnostic-code") ?? ""}`.trim()),
    });
  });
  if (events.length === 0) return { ok: false, problem: "aucun destinataire lisible dans le rapport" };
  return { ok: true, events };
}
