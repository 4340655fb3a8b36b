import { regenerateFromPortal } from "../app/domain/portal/code-reset.server";
import { type PortalCodeResetJob, QUEUES } from "../app/infra/queues";
import type { JobHandler } from "./job-context";

/** A code reset asked on the patient portal: the shared reset, off the request path; idempotent. */
export const portalCodeReset: JobHandler<PortalCodeResetJob> = {
  queue: QUEUES.portalCodeReset,
  async handle(jobs, { db, boss }) {
    for (const job of jobs) await regenerateFromPortal(db, { boss }, job.data);
  },
};
