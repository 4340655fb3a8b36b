import { sql } from "kysely";
import type PgBoss from "pg-boss";
import type { DB } from "../../../db/connection";
import { parisDate } from "../lifecycle/paris-time";
import { enqueueBatches } from "./batch-queue.server";

/** A manager-readable record of something that went wrong while dispatching. */
export async function recordIncident(
  db: DB,
  incident: {
    waveId: number | null;
    batchId?: number | null;
    memberId?: number | null;
    kind: string;
    message: string;
  },
): Promise<void> {
  await db
    .insertInto("wave_incident")
    .values({
      wave_id: incident.waveId,
      batch_id: incident.batchId ?? null,
      member_id: incident.memberId ?? null,
      kind: incident.kind,
      message: incident.message.slice(0, 500),
    })
    .execute();
}

/** How long bounces gather in an open follow-up batch before it is printed. */
const FALLBACK_GATHER_MS = 60_000;

/**
 * Email could not reach these members (invalid address, hard bounce): their email is marked bounced, their
 * code revoked (it was never read), and they move to a follow-up letter batch of the same wave, which will
 * issue them a new code. Run in the caller's transaction; the follow-up batch's job is enqueued with it.
 */
export async function fallBackToLetter(
  trx: DB,
  deps: { boss: PgBoss; now?: Date },
  params: { waveId: number | null; memberIds: number[]; reason: string },
): Promise<number> {
  if (params.memberIds.length === 0) return 0;
  const now = deps.now ?? new Date();
  await sql`
    UPDATE provisional_code c SET revoked_at = now(), revoked_reason = 'email_failed'
    -- The code the member's batch issued (members do not record it): its person's active code, if of that batch.
    FROM wave_member m WHERE m.id = ANY(${params.memberIds}::bigint[])
      AND c.person_id = m.person_id AND c.batch_id = m.batch_id AND c.used_at IS NULL AND c.revoked_at IS NULL
  `.execute(trx);
  await sql`
    UPDATE person p SET email_bounced_at = coalesce(p.email_bounced_at, ${now}), updated_at = now()
    FROM wave_member m WHERE m.id = ANY(${params.memberIds}::bigint[]) AND p.id = m.person_id
  `.execute(trx);
  // The open follow-up batch of this wave (still `planned`, locked so materialisation waits), or a new one.
  let batch = await sql<{ id: number; not_before: Date }>`
    SELECT id, not_before FROM wave_batch
    WHERE kind = 'fallback' AND status = 'planned' AND wave_id IS NOT DISTINCT FROM ${params.waveId}::bigint
    ORDER BY id DESC LIMIT 1 FOR UPDATE
  `
    .execute(trx)
    .then((r) => r.rows[0]);
  if (!batch) {
    const created = await sql<{ id: number; not_before: Date }>`
      INSERT INTO wave_batch (wave_id, kind, channel, number, day, not_before)
      SELECT ${params.waveId}::bigint, 'fallback', 'letter',
        coalesce((SELECT max(number) FROM wave_batch WHERE wave_id = ${params.waveId}::bigint), 0) + 1,
        ${parisDate(now)}::date, ${new Date(now.getTime() + FALLBACK_GATHER_MS)}
      RETURNING id, not_before
    `.execute(trx);
    batch = created.rows[0];
    await enqueueBatches(trx, deps, { batches: [{ id: batch.id, notBefore: batch.not_before }] });
  }
  const moved = await sql`
    UPDATE wave_member SET channel = 'letter', batch_id = ${batch.id}, status = 'planned',
      sequence = NULL, fell_back_at = ${now}, bounced_at = coalesce(bounced_at, ${now}), error = ${params.reason},
      updated_at = now()
    WHERE id = ANY(${params.memberIds}::bigint[]) AND channel = 'email'
  `.execute(trx);
  await sql`UPDATE wave_batch SET planned_count = planned_count + ${Number(moved.numAffectedRows ?? 0)}::int WHERE id = ${batch.id}`.execute(
    trx,
  );
  return Number(moved.numAffectedRows ?? 0);
}
