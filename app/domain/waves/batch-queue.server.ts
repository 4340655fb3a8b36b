import type PgBoss from "pg-boss";
import type { DB } from "../../../db/connection";
import { bossDb } from "../../infra/job-client.server";
import { type BatchJobData, QUEUES } from "../../infra/queues";

export type { BatchJobData };

export function batchSingletonKey(batchId: number): string {
  return `wave-batch:${batchId}`;
}

/**
 * Enqueues batch jobs inside the caller's transaction (the batch rows and their jobs commit together).
 * The queue is `stately` with a singleton key per batch: a double click or a retry adds nothing.
 */
export async function enqueueBatches(
  trx: DB,
  deps: { boss: PgBoss },
  params: { batches: Array<{ id: number; notBefore: Date }> },
): Promise<void> {
  const { batches } = params;
  if (batches.length === 0) return;
  await deps.boss.insert(
    batches.map((b) => ({
      name: QUEUES.waveBatch,
      data: { batchId: b.id } satisfies BatchJobData,
      singletonKey: batchSingletonKey(b.id),
      startAfter: b.notBefore,
    })),
    { db: bossDb(trx) },
  );
}

/** Enqueues the wave's `wave-plan` job (materialisation) inside the caller's transaction, once per wave. */
export async function enqueueWavePlan(
  trx: DB,
  deps: { boss: PgBoss },
  params: { waveId: number },
): Promise<void> {
  const { waveId } = params;
  await deps.boss.send(QUEUES.wavePlan, { waveId }, { db: bossDb(trx), singletonKey: `wave-plan:${waveId}` });
}
