import { computeCampaignIndicators } from "../app/domain/kpi/campaign.server";
import { addMonths } from "../app/domain/kpi/catalogue";
import { currentParisMonth } from "../app/domain/kpi/dashboard.server";
import { QUEUES } from "../app/infra/queues";
import type { JobHandler } from "./job-context";

export interface KpiCampaignData {
  /** Recompute only the last N months (the nightly run); absent: every month (on demand). */
  recentMonths?: number;
}

/** Campaign indicators from the lifecycle data; idempotent (an unchanged figure is not rewritten). */
export const kpiCampaign: JobHandler<KpiCampaignData> = {
  queue: QUEUES.kpiCampaign,
  async handle(jobs, { db, logger }) {
    // Several queued requests collapse into one run: the widest window asked for wins.
    const full = jobs.some((j) => !j.data?.recentMonths);
    const months = Math.max(...jobs.map((j) => j.data?.recentMonths ?? 0));
    const from = full ? null : addMonths(currentParisMonth(), -(months - 1));
    const result = await db.transaction().execute((trx) => computeCampaignIndicators(trx, { from }));
    logger.info({ ...result }, "kpi campaign indicators computed");
    return result;
  },
};
