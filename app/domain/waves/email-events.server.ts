import { sql } from "kysely";
import type PgBoss from "pg-boss";
import type { DB } from "../../../db/connection";
import { type AuditActor, SYSTEM_ACTOR, writeAudit } from "../audit/audit.server";
import { type EmailEvent, recipientDomain } from "./bounce-event";
import { fallBackToLetter } from "./fallback.server";

/**
 * Applies normalised provider events (bounce-event.ts, ADR 028) in one transaction: one statement matches and
 * records the whole batch, then one per effect. Idempotent by `<provider>:<event id>`: an event seen before
 * changes nothing. Order does not matter: a hard bounce moves an email member to a letter once (only members
 * still on the email channel move, so a second bounce or a late one for the same message does nothing), and a
 * delivery arriving after it never moves it back. A message is matched by our Message-ID, else by the relay's
 * id from the ledger (Amazon SES), else — a DSN that quotes no header — by the recipient among people with an
 * email in an active wave. An event no message matches is stored (`matched = false`) and counted, not dropped.
 */
export interface EmailEventsResult {
  accepted: number;
  duplicates: number;
  unmatched: number;
  fellBack: number;
}

const FALLBACK_REASON: Record<"hard_bounce" | "blocked", string> = {
  hard_bounce: "e-mail rejeté définitivement (hard bounce)",
  blocked: "e-mail bloqué par le fournisseur (adresse en liste de suppression)",
};

interface AppliedRow {
  event_id: string;
  kind: string;
  member_id: number | null;
  matched: boolean;
  occurred_at: Date;
  wave_id: number | null;
  channel: string | null;
}

export async function applyEmailEvents(
  db: DB,
  deps: { boss: PgBoss; now?: Date; actor?: AuditActor },
  events: readonly EmailEvent[],
): Promise<EmailEventsResult> {
  const out: EmailEventsResult = { accepted: 0, duplicates: 0, unmatched: 0, fellBack: 0 };
  if (events.length === 0) return out;
  const input = events.map((e) => ({
    event_id: `${e.provider}:${e.providerEventId}`.slice(0, 300),
    provider: e.provider,
    kind: e.kind,
    message_id: e.messageId,
    server_message_id: e.serverMessageId ?? null,
    recipient: e.messageId || e.serverMessageId ? null : (e.recipient?.toLowerCase() ?? null),
    recipient_domain: recipientDomain(e.recipient),
    occurred_at: e.occurredAt.toISOString(),
    detail: e.detail ?? null,
  }));
  return db.transaction().execute(async (trx) => {
    const applied = await sql<AppliedRow>`
      WITH input AS (
        SELECT * FROM jsonb_to_recordset(${JSON.stringify(input)}::jsonb) AS x(
          event_id text, provider text, kind text, message_id text, server_message_id text, recipient text,
          recipient_domain text, occurred_at timestamptz, detail text)
      ), located AS (
        SELECT DISTINCT ON (i.event_id) i.*, coalesce(by_id.id, by_server.id, by_rcpt.id) AS member_id,
          (by_id.id IS NOT NULL OR by_server.id IS NOT NULL OR by_rcpt.id IS NOT NULL OR sub.key IS NOT NULL) AS matched
        FROM input i
        LEFT JOIN LATERAL (
          SELECT m.id FROM wave_member m WHERE m.provider_message_id = i.message_id ORDER BY m.id DESC LIMIT 1
        ) by_id ON i.message_id IS NOT NULL
        LEFT JOIN LATERAL (
          SELECT m.id FROM email_submission s JOIN wave_member m ON m.provider_message_id = s.message_id
          WHERE s.server_message_id = i.server_message_id ORDER BY m.id DESC LIMIT 1
        ) by_server ON by_id.id IS NULL AND i.server_message_id IS NOT NULL
        LEFT JOIN LATERAL (
          SELECT m.id FROM wave_member m JOIN person p ON p.id = m.person_id
          WHERE m.active AND m.channel = 'email' AND m.provider_message_id IS NOT NULL AND lower(p.email) = i.recipient
          ORDER BY m.id DESC LIMIT 1
        ) by_rcpt ON i.recipient IS NOT NULL
        -- A message of ours without a wave member (a code reset, a helpline confirmation) is matched all the same.
        LEFT JOIN LATERAL (
          SELECT s.key FROM email_submission s
          WHERE s.message_id = i.message_id OR s.server_message_id = i.server_message_id LIMIT 1
        ) sub ON i.message_id IS NOT NULL OR i.server_message_id IS NOT NULL
        ORDER BY i.event_id
      ), inserted AS (
        INSERT INTO email_event (event_id, provider, message_id, server_message_id, kind, occurred_at, member_id,
          recipient_domain, matched, details)
        SELECT event_id, provider, message_id, server_message_id, kind, occurred_at, member_id, recipient_domain,
          matched, jsonb_build_object('detail', detail)
        FROM located
        ON CONFLICT (event_id) DO NOTHING
        RETURNING event_id, kind, member_id, matched, occurred_at
      )
      SELECT i.*, m.wave_id, m.channel FROM inserted i LEFT JOIN wave_member m ON m.id = i.member_id
    `.execute(trx);
    const rows = applied.rows;
    out.accepted = rows.length;
    out.duplicates = new Set(input.map((e) => e.event_id)).size - rows.length;
    out.unmatched = rows.filter((r) => !r.matched).length;

    const onEmail = rows.filter((r) => r.member_id !== null && r.channel === "email");
    const delivered = onEmail.filter((r) => r.kind === "delivered");
    if (delivered.length > 0) {
      await sql`
        UPDATE wave_member m SET delivered_at = coalesce(m.delivered_at, d.at), updated_at = now()
        FROM (SELECT unnest(${delivered.map((r) => r.member_id)}::bigint[]) AS id,
                     unnest(${delivered.map((r) => r.occurred_at)}::timestamptz[]) AS at) d
        WHERE m.id = d.id AND m.channel = 'email'
      `.execute(trx);
    }
    // Members go to the letter once, per wave (fallBackToLetter gathers them in the wave's follow-up batch).
    const failing = new Map<number | null, Map<number, "hard_bounce" | "blocked">>();
    for (const r of onEmail) {
      if (r.kind !== "hard_bounce" && r.kind !== "blocked") continue;
      const members = failing.get(r.wave_id) ?? new Map();
      if (!members.has(r.member_id as number)) members.set(r.member_id as number, r.kind);
      failing.set(r.wave_id, members);
    }
    for (const [waveId, members] of failing) {
      for (const kind of ["hard_bounce", "blocked"] as const) {
        const ids = [...members].filter(([, k]) => k === kind).map(([id]) => id);
        if (ids.length === 0) continue;
        const moved = await fallBackToLetter(trx, deps, {
          waveId,
          memberIds: ids,
          reason: FALLBACK_REASON[kind],
        });
        out.fellBack += moved;
        await sql`
          INSERT INTO wave_incident (wave_id, member_id, kind, message)
          SELECT ${waveId}::bigint, id, 'email_bounced', ${`${FALLBACK_REASON[kind]} : bascule vers un courrier avec un nouveau code`}
          FROM unnest(${ids}::bigint[]) AS id
        `.execute(trx);
        if (moved > 0 && waveId !== null) {
          await writeAudit(trx, deps.actor ?? SYSTEM_ACTOR, {
            action: "wave.email_fallback",
            objectType: "wave",
            objectId: waveId,
            details: { members: ids.length, moved, cause: kind },
          });
        }
      }
    }
    const complaints = rows.filter((r) => r.kind === "complaint" && r.member_id !== null);
    if (complaints.length > 0) {
      await sql`
        INSERT INTO wave_incident (wave_id, member_id, kind, message)
        SELECT m.wave_id, m.id, 'email_complaint', 'le destinataire a signalé l''e-mail comme indésirable'
        FROM wave_member m WHERE m.id = ANY(${complaints.map((r) => r.member_id)}::bigint[])
      `.execute(trx);
    }
    return out;
  });
}

export interface UnmatchedEmailEvent {
  eventId: string;
  provider: string;
  kind: string;
  messageId: string | null;
  recipientDomain: string | null;
  occurredAt: Date;
  receivedAt: Date;
}

/** « Retours non rapprochés »: the latest events no message of ours matched, and how many there are. */
export async function listUnmatchedEmailEvents(
  db: DB,
  params: { limit?: number } = {},
): Promise<{ total: number; events: UnmatchedEmailEvent[] }> {
  const [rows, total] = await Promise.all([
    db
      .selectFrom("email_event")
      .select([
        "event_id",
        "provider",
        "kind",
        "message_id",
        "recipient_domain",
        "occurred_at",
        "received_at",
      ])
      .where("matched", "=", false)
      .orderBy("received_at", "desc")
      .limit(params.limit ?? 20)
      .execute(),
    db
      .selectFrom("email_event")
      .select((eb) => eb.fn.countAll<string>().as("n"))
      .where("matched", "=", false)
      .executeTakeFirstOrThrow(),
  ]);
  return {
    total: Number(total.n),
    events: rows.map((r) => ({
      eventId: r.event_id,
      provider: r.provider,
      kind: r.kind,
      messageId: r.message_id,
      recipientDomain: r.recipient_domain,
      occurredAt: r.occurred_at,
      receivedAt: r.received_at,
    })),
  };
}
