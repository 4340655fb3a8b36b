import { routeAll } from "../app/domain/helpline/case-routing.server";
import { QUEUES } from "../app/infra/queues";
import type { JobHandler } from "./job-context";

/** Safety net of the helpline routing: every minute, route whatever waits and can be routed. */
export const caseRouting: JobHandler = {
  queue: QUEUES.caseRouting,
  async handle(_jobs, { db, logger }) {
    const run = await routeAll(db);
    if (run.assigned > 0)
      logger.info({ assigned: run.assigned, waiting: run.waiting }, "helpline cases routed");
    return run;
  },
};
