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
  boss: PgBoss,
  batches: Array<{ id: number; notBefore: Date }>,
): Promise<void> {
  if (batches.length === 0) return;
  await boss.insert(
    batches.map((b) => ({
      name: QUEUES.waveBatch,
      data: { batchId: b.id } satisfies BatchJobData,
      singletonKey: batchSingletonKey(b.id),
      startAfter: b.notBefore,
    })),
    { db: bossDb(trx) },
  );
}

export async function enqueueWavePlan(trx: DB, boss: PgBoss, waveId: number): Promise<void> {
  await boss.send(QUEUES.wavePlan, { waveId }, { db: bossDb(trx), singletonKey: `wave-plan:${waveId}` });
}
