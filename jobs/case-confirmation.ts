import { type ConfirmationJob, sendConfirmation } from "../app/domain/helpline/confirmation.server";
import { QUEUES } from "../app/infra/queues";
import type { JobHandler } from "./job-context";

/** Confirmation of an opposition or closure recorded by the 34 22 (email or letter); idempotent. */
export const caseConfirmation: JobHandler<ConfirmationJob> = {
  queue: QUEUES.caseConfirmation,
  async handle(jobs, { db, config }) {
    for (const job of jobs) await sendConfirmation(db, { config }, job.data);
  },
};
