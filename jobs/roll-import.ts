import { importRoll } from "../app/domain/rolls/import.server";
import { QUEUES, type RollImportJob } from "../app/infra/queues";
import type { JobHandler } from "./job-context";

/**
 * Imports one roll (parse → checks → merge). Idempotent: a retry after a crash resumes from the roll's
 * state (a roll in `merging` re-runs its one-transaction merge; earlier states start over). A roll that is
 * gone (`RollNotFound`) will not come back on a retry: runJobs (jobs/refusals.ts) completes the job with it.
 */
export const rollImport: JobHandler<RollImportJob> = {
  queue: QUEUES.rollImport,
  options: { batchSize: 1 },
  async handle(jobs, { db, logger }) {
    for (const job of jobs) {
      const outcome = await importRoll(db, job.data.rollId);
      logger.info(
        { rollId: outcome.rollId, state: outcome.state, rows: outcome.rows, rejected: outcome.rejected },
        "roll import finished",
      );
    }
  },
};
