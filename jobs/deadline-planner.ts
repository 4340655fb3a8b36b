import { planDeadlines } from "../app/domain/lifecycle/deadlines.server";
import { QUEUES } from "../app/infra/queues";
import type { JobHandler } from "./job-context";

/** Every 10 minutes: one waiting sweep per day that has notified persons (singleton key per day). */
export const deadlinePlanner: JobHandler = {
  queue: QUEUES.deadlinePlanner,
  async handle(_jobs, { db, boss, logger }) {
    const planned = await planDeadlines(db, { boss });
    const queued = planned.filter((p) => p.queued).length;
    if (queued > 0) logger.info({ days: planned.length, queued }, "deadline sweeps planned");
  },
};
