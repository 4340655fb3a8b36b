import type { BatchJobData } from "../app/domain/waves/batch-queue.server";
import { runBatch } from "../app/domain/waves/dispatch.server";
import type { JobHandler } from "./job-context";
import { QUEUES } from "./queues";

/** Advances one batch through its states (see dispatch.server.ts); errors throw so pg-boss retries. */
export const waveBatch: JobHandler<BatchJobData> = {
  queue: QUEUES.waveBatch,
  options: { batchSize: 1, pollingIntervalSeconds: 1 },
  async handle(jobs, ctx) {
    for (const job of jobs) {
      const outcome = await runBatch(ctx, job.data.batchId);
      ctx.logger.info({ batchId: job.data.batchId, outcome }, "wave batch");
    }
  },
};
