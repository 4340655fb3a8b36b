import { applySlaDeadline, type SlaJobData } from "../app/domain/helpline/sla.server";
import { QUEUES } from "../app/infra/queues";
import type { JobHandler } from "./job-context";

/** One SLA deadline of one case (warning at 80 %, escalation at breach); stale versions do nothing. */
export const slaDeadline: JobHandler<SlaJobData> = {
  queue: QUEUES.slaDeadline,
  async handle(jobs, { db, boss }) {
    for (const job of jobs) await applySlaDeadline(db, { boss }, job.data);
  },
};
