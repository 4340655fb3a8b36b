import { parsePeriod } from "../app/domain/kpi/catalogue";
import { generateKpiReport, reportPeriodFor } from "../app/domain/kpi/reports.server";
import { QUEUES } from "../app/infra/queues";
import type { JobHandler } from "./job-context";

export interface KpiReportData {
  trigger?: "cron" | "manual";
  /** YYYY-MM; default: the last complete month. */
  period?: string;
  requestedBy?: number | null;
}

/** The monthly PDF report: on the 1st at 06:00 Paris (cron, once per month) and on demand. */
export const kpiReport: JobHandler<KpiReportData> = {
  queue: QUEUES.kpiReport,
  async handle(jobs, { db, config, logger }) {
    const results = [];
    for (const job of jobs) {
      const period = parsePeriod(job.data?.period ?? "") ?? reportPeriodFor();
      const { report, created } = await generateKpiReport(
        db,
        { config },
        {
          period,
          trigger: job.data?.trigger === "manual" ? "manual" : "cron",
          requestedBy: job.data?.requestedBy ?? null,
        },
      );
      logger.info({ reportId: report.id, period, created }, "kpi report archived");
      results.push({ id: report.id, created });
    }
    return results;
  },
};
