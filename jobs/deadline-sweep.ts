import { sweepDeadlineDay } from "../app/domain/lifecycle/deadlines.server";
import { type DeadlineSweepJob, QUEUES } from "../app/infra/queues";
import type { JobHandler } from "./job-context";

/** Auto-creates the spaces whose window ended on `day` (or before). Idempotent: a retry continues. */
export const deadlineSweep: JobHandler<DeadlineSweepJob> = {
  queue: QUEUES.deadlineSweep,
  options: { batchSize: 1, pollingIntervalSeconds: 5 },
  async handle(jobs, { db, logger }) {
    for (const job of jobs) {
      const result = await sweepDeadlineDay(db, { day: job.data.day });
      logger.info({ ...result, jobId: job.id }, "deadline sweep done");
      if (result.stillLocked > 0)
        throw new Error(`${result.stillLocked} assurés encore verrouillés : nouvel essai`);
    }
  },
};
