import { SYSTEM_ACTOR } from "../app/domain/audit/audit.server";
import { purgeRetention } from "../app/domain/retention/retention.server";
import { QUEUES } from "../app/infra/queues";
import type { JobHandler } from "./job-context";

/**
 * Every night: purges the campaign data past its retention (ADR 029). A purge already running (the CLI, the
 * admin page) makes this one a no-op; the next night takes what is left, as would a retry after a crash.
 */
export const retentionPurge: JobHandler = {
  queue: QUEUES.retentionPurge,
  async handle(_jobs, { db, config, logger }) {
    const outcome = await purgeRetention(db, SYSTEM_ACTOR, { policy: config.retention });
    if (outcome.kind === "busy") logger.info("retention purge skipped: another purge is running");
    else logger.info({ counts: outcome.counts, batches: outcome.batches }, "retention purge done");
  },
};
