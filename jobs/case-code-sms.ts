import { deliverResetBySms } from "../app/domain/helpline/person-actions.server";
import { type CaseCodeSmsJob, QUEUES } from "../app/infra/queues";
import type { JobHandler } from "./job-context";

/** Issues and sends a reset provisional code by SMS (never stored or logged in clear). */
export const caseCodeSms: JobHandler<CaseCodeSmsJob> = {
  queue: QUEUES.caseCodeSms,
  async handle(jobs, { db, config }) {
    for (const job of jobs) await deliverResetBySms(db, { config }, job.data.resetId);
  },
};
