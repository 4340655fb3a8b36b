import { catchUpDeadlines } from "../app/domain/lifecycle/deadlines.server";
import { QUEUES } from "../app/infra/queues";
import type { JobHandler } from "./job-context";

/** Daily: reports (and re-sweeps) persons whose window ended before today but are still notified. */
export const deadlineCatchup: JobHandler = {
  queue: QUEUES.deadlineCatchup,
  async handle(_jobs, { db, boss, logger }) {
    const report = await catchUpDeadlines(db, { boss });
    if (report.overdue > 0)
      logger.warn({ overdue: report.overdue, days: report.days }, "overdue windows found");
  },
};
