import { runBatch } from "../app/domain/waves/batch-run.server";
import type { BatchJobData } from "../app/infra/queues";
import { QUEUES } from "../app/infra/queues";
import type { JobHandler } from "./job-context";

/** Advances one batch through its states (see batch-run.server.ts); errors throw so pg-boss retries. */
export const waveBatch: JobHandler<BatchJobData> = {
  queue: QUEUES.waveBatch,
  options: { batchSize: 1, pollingIntervalSeconds: 1 },
  async handle(jobs, { db, boss, config, logger }) {
    for (const job of jobs) {
      const outcome = await runBatch(db, { boss, config, logger }, { batchId: job.data.batchId });
      logger.info({ batchId: job.data.batchId, outcome }, "wave batch");
    }
  },
};
