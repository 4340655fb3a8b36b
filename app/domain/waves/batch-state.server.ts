import { sql } from "kysely";
import type { DB } from "../../../db/connection";
import type { BatchStatus, Channel } from "./wave";

/**
 * A batch row under its worker's lease, as every step of the batch state machine (batch-run.server.ts) and
 * both channels (letter-batch, email-batch) see it: the conditional step from one status to the next, the
 * lease check, and the cancellation of what of a batch has not left yet.
 */

/** The lease on the batch row was taken over (expired and claimed by another worker): the step is dropped. */
export class LeaseLostError extends Error {
  constructor(batchId: number) {
    super(`lot ${batchId} : bail perdu, étape abandonnée`);
    this.name = "LeaseLostError";
  }
}

/** The batch row a run holds, kept in step with each status it moves to. */
export interface Batch {
  id: number;
  wave_id: number | null;
  kind: "regular" | "fallback" | "single";
  channel: Channel;
  number: number;
  status: BatchStatus;
  rendered_at: Date | null;
}

/** Moves the batch from one status to the next, only if it is still ours and still in `from`. */
export async function advance(
  trx: DB,
  batch: Batch,
  owner: string,
  from: BatchStatus,
  to: BatchStatus,
  extra: Record<string, unknown> = {},
): Promise<void> {
  const stamp: Partial<Record<BatchStatus, string>> = {
    materialised: "materialised_at",
    codes_stored: "codes_stored_at",
    rendered: "rendered_at",
    handed_off: "handed_off_at",
    sent: "sent_at",
    done: "done_at",
  };
  const result = await trx
    .updateTable("wave_batch")
    .set({
      status: to,
      updated_at: new Date(),
      last_error: null,
      ...(stamp[to] ? { [stamp[to]]: new Date() } : {}),
      ...extra,
    })
    .where("id", "=", batch.id)
    .where("status", "=", from)
    .where("lease_owner", "=", owner)
    .executeTakeFirst();
  if (Number(result.numUpdatedRows) !== 1) throw new LeaseLostError(batch.id);
  batch.status = to;
}

/** Inside a transaction: locks the batch row if `owner` still holds its lease, else throws `LeaseLostError`. */
export async function holdLease(trx: DB, batch: Batch, owner: string): Promise<void> {
  const mine =
    await sql`SELECT 1 FROM wave_batch WHERE id = ${batch.id} AND lease_owner = ${owner} FOR UPDATE`.execute(
      trx,
    );
  if (mine.rows.length === 0) throw new LeaseLostError(batch.id);
}

/** Between chunks: a paused wave stops here; a cancelled one cancels what is left of this batch. */
export async function stopRequested(
  db: DB,
  batch: Batch,
  owner: string,
): Promise<"paused" | "cancelled" | null> {
  if (batch.wave_id == null) return null;
  const wave = await db
    .selectFrom("wave")
    .select("status")
    .where("id", "=", batch.wave_id)
    .executeTakeFirstOrThrow();
  if (wave.status === "paused") return "paused";
  if (wave.status === "cancelled") {
    await db.transaction().execute(async (trx) => {
      await holdLease(trx, batch, owner);
      await cancelBatchMembers(trx, batch.id);
    });
    return "cancelled";
  }
  return null;
}

/** Cancels what of a batch has not left yet: codes revoked, members cancelled, batch cancelled. */
export async function cancelBatchMembers(trx: DB, batchId: number): Promise<number> {
  // The batch's codes of its persons (members do not record their code), probed through the index of
  // active codes by person: as a join, the planner preferred scanning every code for the batch id.
  await sql`
    UPDATE provisional_code SET revoked_at = now(), revoked_reason = 'wave_cancelled'
    WHERE person_id = ANY(ARRAY(
        SELECT person_id FROM wave_member WHERE batch_id = ${batchId} AND status IN ('planned','rendered')))
      AND batch_id = ${batchId} AND used_at IS NULL AND revoked_at IS NULL
  `.execute(trx);
  const members = await sql`
    UPDATE wave_member SET status = 'cancelled', active = false, updated_at = now()
    WHERE batch_id = ${batchId} AND status IN ('planned','rendered')
  `.execute(trx);
  await sql`
    UPDATE wave_batch SET status = 'cancelled', cancelled_at = now(), updated_at = now()
    WHERE id = ${batchId} AND status IN ('planned','materialised','codes_stored','rendered')
  `.execute(trx);
  return Number(members.numAffectedRows ?? 0);
}
