import { sql } from "kysely";
import type PgBoss from "pg-boss";
import type { DB } from "../../../db/connection";
import { type AuditActor, writeAudit } from "../audit/audit.server";
import { DomainError } from "../domain-error";
import { enqueueBatches, enqueueWavePlan } from "./batch-queue.server";
import { cancelBatchMembers } from "./batch-state.server";
import type { WaveSegment, WaveSettings, WaveStatus } from "./wave";
import { waveBatchIds } from "./wave-queries.server";

/** A wave use case refused: `not_found` (404) or `not_allowed` (409), with the message. */
export class WaveError extends DomainError<"not_found" | "not_allowed"> {
  constructor(code: "not_found" | "not_allowed", message: string) {
    super(code, message);
    this.name = "WaveError";
  }
}

export async function createWave(
  db: DB,
  actor: AuditActor,
  input: { name: string; segment: WaveSegment; settings: WaveSettings },
): Promise<number> {
  return db.transaction().execute(async (trx) => {
    const row = await trx
      .insertInto("wave")
      .values({
        name: input.name,
        segment: JSON.stringify(input.segment),
        settings: JSON.stringify(input.settings),
        created_by: actor.userId,
      })
      .returning("id")
      .executeTakeFirstOrThrow();
    await writeAudit(trx, actor, {
      action: "wave.created",
      objectType: "wave",
      objectId: row.id,
      details: { name: input.name, segment: input.segment, settings: input.settings },
    });
    return row.id;
  });
}

async function lockWave(trx: DB, waveId: number) {
  const wave = await trx
    .selectFrom("wave")
    .select(["id", "status", "planned_at", "name"])
    .where("id", "=", waveId)
    .forUpdate()
    .executeTakeFirst();
  if (!wave) throw new WaveError("not_found", "vague introuvable");
  return wave;
}

function refuse(action: string, status: WaveStatus): never {
  const labels: Record<WaveStatus, string> = {
    draft: "brouillon",
    scheduled: "programmée",
    running: "en cours",
    paused: "en pause",
    cancelled: "annulée",
    completed: "terminée",
  };
  throw new WaveError("not_allowed", `impossible de ${action} une vague ${labels[status]}`);
}

/** draft → scheduled; the members are materialised by the `wave-plan` job enqueued in the same transaction. */
export async function scheduleWave(
  db: DB,
  deps: { boss: PgBoss },
  actor: AuditActor,
  waveId: number,
): Promise<void> {
  await db.transaction().execute(async (trx) => {
    const wave = await lockWave(trx, waveId);
    if (wave.status === "scheduled") return; // double click
    if (wave.status !== "draft") refuse("programmer", wave.status);
    await trx
      .updateTable("wave")
      .set({ status: "scheduled", scheduled_at: new Date(), updated_at: new Date() })
      .where("id", "=", waveId)
      .execute();
    await enqueueWavePlan(trx, deps, { waveId });
    await writeAudit(trx, actor, { action: "wave.scheduled", objectType: "wave", objectId: waveId });
  });
}

export async function pauseWave(db: DB, actor: AuditActor, waveId: number): Promise<void> {
  await db.transaction().execute(async (trx) => {
    const wave = await lockWave(trx, waveId);
    if (wave.status === "paused") return;
    if (wave.status !== "scheduled" && wave.status !== "running") refuse("mettre en pause", wave.status);
    await trx
      .updateTable("wave")
      .set({ status: "paused", paused_at: new Date(), updated_at: new Date() })
      .where("id", "=", waveId)
      .execute();
    await writeAudit(trx, actor, { action: "wave.paused", objectType: "wave", objectId: waveId });
  });
}

/** paused → running: every open batch gets its job back (stately singleton keys: no duplicates). */
export async function resumeWave(
  db: DB,
  deps: { boss: PgBoss },
  actor: AuditActor,
  waveId: number,
): Promise<void> {
  await db.transaction().execute(async (trx) => {
    const wave = await lockWave(trx, waveId);
    if (wave.status === "running" || wave.status === "scheduled") return;
    if (wave.status !== "paused") refuse("reprendre", wave.status);
    const planned = wave.planned_at != null;
    await trx
      .updateTable("wave")
      .set({ status: planned ? "running" : "scheduled", paused_at: null, updated_at: new Date() })
      .where("id", "=", waveId)
      .execute();
    if (!planned) await enqueueWavePlan(trx, deps, { waveId });
    const open = await trx
      .selectFrom("wave_batch")
      .select(["id", "not_before"])
      .where("wave_id", "=", waveId)
      .where("status", "not in", ["done", "cancelled", "failed"])
      .execute();
    const now = Date.now();
    await enqueueBatches(trx, deps, {
      batches: open.map((b) => ({ id: b.id, notBefore: new Date(Math.max(now, b.not_before.getTime())) })),
    });
    await writeAudit(trx, actor, {
      action: "wave.resumed",
      objectType: "wave",
      objectId: waveId,
      details: { batches: open.length },
    });
  });
}

export interface CancelReport {
  cancelledBatches: number;
  cancelledMembers: number;
  alreadySent: number;
  stillRunning: number;
}

/**
 * Cancels a wave: batches not yet handed off or sent are cancelled (their codes revoked); a batch being
 * sent right now is stopped by its own job at the next chunk. What already left stays sent, and is reported.
 */
export async function cancelWave(db: DB, actor: AuditActor, waveId: number): Promise<CancelReport> {
  return db.transaction().execute(async (trx) => {
    const wave = await lockWave(trx, waveId);
    if (wave.status === "cancelled" || wave.status === "completed") refuse("annuler", wave.status);
    await trx
      .updateTable("wave")
      .set({ status: "cancelled", cancelled_at: new Date(), updated_at: new Date() })
      .where("id", "=", waveId)
      .execute();
    const free = await sql<{ id: number }>`
      SELECT id FROM wave_batch
      WHERE wave_id = ${waveId} AND status IN ('planned','materialised','codes_stored','rendered')
        AND (lease_until IS NULL OR lease_until < now())
      FOR UPDATE SKIP LOCKED
    `.execute(trx);
    let cancelledMembers = 0;
    for (const b of free.rows) cancelledMembers += await cancelBatchMembers(trx, b.id);
    await sql`UPDATE wave_member SET active = false, updated_at = now() WHERE batch_id IN ${waveBatchIds(waveId)} AND active`.execute(
      trx,
    );
    const counts = await sql<{ sent: number; running: number }>`
      SELECT
        (SELECT count(*)::int FROM wave_member WHERE batch_id IN ${waveBatchIds(waveId)}
          AND (handed_off_at IS NOT NULL OR email_sent_at IS NOT NULL)) AS sent,
        (SELECT count(*)::int FROM wave_batch WHERE wave_id = ${waveId} AND status NOT IN ('done','cancelled','failed')) AS running
    `.execute(trx);
    const report: CancelReport = {
      cancelledBatches: free.rows.length,
      cancelledMembers,
      alreadySent: counts.rows[0].sent,
      stillRunning: counts.rows[0].running,
    };
    await writeAudit(trx, actor, {
      action: "wave.cancelled",
      objectType: "wave",
      objectId: waveId,
      details: { ...report },
    });
    return report;
  });
}
