import { materialiseWave } from "../app/domain/waves/plan.server";
import { QUEUES, type WavePlanJob } from "../app/infra/queues";
import type { JobHandler } from "./job-context";

/** Materialises a scheduled wave: members, batches and one `wave-batch` job per batch, in one transaction. */
export const wavePlan: JobHandler<WavePlanJob> = {
  queue: QUEUES.wavePlan,
  async handle(jobs, { db, boss, logger, config }) {
    for (const job of jobs) {
      const result = await materialiseWave(
        db,
        { boss },
        { waveId: job.data.waveId, sendHours: config.sendHours },
      );
      if (result)
        logger.info(
          { waveId: job.data.waveId, members: result.members, batches: result.batches },
          "wave materialised",
        );
    }
  },
};
