import { type RawBuilder, sql } from "kysely";
import type { DB } from "../../../db/connection";
import type { BatchKind, BatchStatus, Channel, WaveStatus } from "./wave";

export interface WaveListItem {
  id: number;
  name: string;
  status: WaveStatus;
  createdAt: Date;
  scheduledAt: Date | null;
  memberCount: number | null;
  delivered: number;
}

/**
 * The ids of a wave's batches, as a subquery: a wave's members are reached through them (`wave_member
 * (batch_id)`; there is no index on wave_member.wave_id, migration 2026_12_05_1300). Every member is in a
 * batch of its own wave.
 */
export function waveBatchIds(waveId: number): RawBuilder<unknown> {
  return sql`(SELECT id FROM wave_batch WHERE wave_id = ${waveId})`;
}

export async function listWaves(
  db: DB,
  opts: { page: number; pageSize?: number },
): Promise<{ total: number; waves: WaveListItem[] }> {
  const pageSize = opts.pageSize ?? 20;
  const total = await db
    .selectFrom("wave")
    .select((eb) => eb.fn.countAll<number>().as("n"))
    .executeTakeFirstOrThrow();
  const rows = await sql<{
    id: number;
    name: string;
    status: WaveStatus;
    created_at: Date;
    scheduled_at: Date | null;
    member_count: number | null;
    delivered: number;
  }>`
    SELECT w.id, w.name, w.status, w.created_at, w.scheduled_at, w.member_count,
      (SELECT count(*)::int FROM wave_member m WHERE m.batch_id IN (SELECT b.id FROM wave_batch b WHERE b.wave_id = w.id)
        AND (m.handed_off_at IS NOT NULL OR m.email_sent_at IS NOT NULL)) AS delivered
    FROM wave w ORDER BY w.id DESC LIMIT ${pageSize} OFFSET ${(opts.page - 1) * pageSize}
  `.execute(db);
  return {
    total: Number(total.n),
    waves: rows.rows.map((r) => ({
      id: r.id,
      name: r.name,
      status: r.status,
      createdAt: r.created_at,
      scheduledAt: r.scheduled_at,
      memberCount: r.member_count,
      delivered: r.delivered,
    })),
  };
}

export interface WaveProgress {
  members: number;
  materialised: number;
  excluded: number;
  rendered: number;
  handedOff: number;
  sent: number;
  delivered: number;
  bounced: number;
  fellBack: number;
  cancelled: number;
  letters: number;
  emails: number;
}

export async function waveProgress(db: DB, waveId: number): Promise<WaveProgress> {
  const r = await sql<WaveProgress>`
    SELECT count(*)::int AS members,
      count(*) FILTER (WHERE sequence IS NOT NULL OR status NOT IN ('planned'))::int AS materialised,
      count(*) FILTER (WHERE status = 'excluded')::int AS excluded,
      count(rendered_at)::int AS rendered,
      count(handed_off_at)::int AS "handedOff",
      count(email_sent_at)::int AS sent,
      count(delivered_at)::int AS delivered,
      count(bounced_at)::int AS bounced,
      count(fell_back_at)::int AS "fellBack",
      count(*) FILTER (WHERE status = 'cancelled')::int AS cancelled,
      count(*) FILTER (WHERE channel = 'letter')::int AS letters,
      count(*) FILTER (WHERE channel = 'email')::int AS emails
    FROM wave_member WHERE batch_id IN ${waveBatchIds(waveId)}
  `.execute(db);
  return r.rows[0];
}

export interface DayProgress {
  day: string;
  plannedLetters: number;
  plannedEmails: number;
  doneLetters: number;
  doneEmails: number;
}

/** Planned (batches as laid out) against done (members handed off or sent), per send day. */
export async function dailyProgress(db: DB, waveId: number): Promise<DayProgress[]> {
  const r = await sql<DayProgress>`
    SELECT to_char(b.day, 'YYYY-MM-DD') AS day,
      sum(b.planned_count) FILTER (WHERE b.channel = 'letter' AND b.kind = 'regular')::int AS "plannedLetters",
      sum(b.planned_count) FILTER (WHERE b.channel = 'email' AND b.kind = 'regular')::int AS "plannedEmails",
      coalesce(sum(d.letters), 0)::int AS "doneLetters",
      coalesce(sum(d.emails), 0)::int AS "doneEmails"
    FROM wave_batch b
    LEFT JOIN LATERAL (
      SELECT count(handed_off_at)::int AS letters, count(email_sent_at) FILTER (WHERE channel = 'email')::int AS emails
      FROM wave_member m WHERE m.batch_id = b.id
    ) d ON true
    WHERE b.wave_id = ${waveId}
    GROUP BY b.day ORDER BY b.day
  `.execute(db);
  return r.rows.map((d) => ({
    ...d,
    plannedLetters: d.plannedLetters ?? 0,
    plannedEmails: d.plannedEmails ?? 0,
  }));
}

export interface BatchItem {
  id: number;
  number: number;
  kind: BatchKind;
  channel: Channel;
  day: string;
  status: BatchStatus;
  plannedCount: number;
  memberCount: number | null;
  attempts: number;
  lastError: string | null;
  hasPdf: boolean;
  updatedAt: Date;
}

export async function waveBatches(
  db: DB,
  waveId: number,
  opts: { page: number; pageSize?: number },
): Promise<{ total: number; batches: BatchItem[] }> {
  const pageSize = opts.pageSize ?? 25;
  const total = await db
    .selectFrom("wave_batch")
    .select((eb) => eb.fn.countAll<number>().as("n"))
    .where("wave_id", "=", waveId)
    .executeTakeFirstOrThrow();
  const rows = await sql<{
    id: number;
    number: number;
    kind: BatchKind;
    channel: Channel;
    day: string;
    status: BatchStatus;
    planned_count: number;
    member_count: number | null;
    attempts: number;
    last_error: string | null;
    pdf_path: string | null;
    updated_at: Date;
  }>`
    SELECT id, number, kind, channel, to_char(day, 'YYYY-MM-DD') AS day, status, planned_count, member_count, attempts,
      last_error, pdf_path, updated_at
    FROM wave_batch WHERE wave_id = ${waveId} ORDER BY number LIMIT ${pageSize} OFFSET ${(opts.page - 1) * pageSize}
  `.execute(db);
  return {
    total: Number(total.n),
    batches: rows.rows.map((b) => ({
      id: b.id,
      number: b.number,
      kind: b.kind,
      channel: b.channel,
      day: b.day,
      status: b.status,
      plannedCount: b.planned_count,
      memberCount: b.member_count,
      attempts: b.attempts,
      lastError: b.last_error,
      hasPdf: Boolean(b.pdf_path) && ["handed_off", "done"].includes(b.status),
      updatedAt: b.updated_at,
    })),
  };
}

export async function waveIncidents(db: DB, waveId: number, limit = 20) {
  return db
    .selectFrom("wave_incident")
    .select(["id", "at", "kind", "message", "batch_id"])
    .where("wave_id", "=", waveId)
    .orderBy("at", "desc")
    .limit(limit)
    .execute();
}

export async function waveAudit(db: DB, waveId: number, limit = 30) {
  return db
    .selectFrom("audit_log")
    .select(["id", "at", "actor_label", "action", "details"])
    .where("object_type", "=", "wave")
    .where("object_id", "=", String(waveId))
    .orderBy("at", "desc")
    .limit(limit)
    .execute();
}

/** The files of a batch that was handed off (download); null when not available. */
export async function batchFile(
  db: DB,
  waveId: number,
  batchId: number,
): Promise<{ pdfPath: string; manifestPath: string | null; label: number } | null> {
  const b = await db
    .selectFrom("wave_batch")
    .select(["pdf_path", "manifest_path", "status", "number"])
    .where("id", "=", batchId)
    .where("wave_id", "=", waveId)
    .executeTakeFirst();
  if (!b?.pdf_path || !["handed_off", "done"].includes(b.status)) return null;
  return { pdfPath: b.pdf_path, manifestPath: b.manifest_path, label: b.number };
}
