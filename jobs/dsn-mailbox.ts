import { readDsnMaildir } from "../app/domain/waves/bounce-maildir.server";
import { QUEUES } from "../app/infra/queues";
import type { JobHandler } from "./job-context";

/** Every minute: the delivery status notifications of the DSN mailbox (DSN_MAILDIR), when one is configured. */
export const dsnMailbox: JobHandler = {
  queue: QUEUES.dsnMailbox,
  async handle(_jobs, { db, boss, config, logger }) {
    if (!config.bounces.dsnMaildir) return;
    const run = await readDsnMaildir(db, { boss }, { dir: config.bounces.dsnMaildir });
    if (run.files > 0) logger.info({ ...run }, "DSN mailbox read");
  },
};
