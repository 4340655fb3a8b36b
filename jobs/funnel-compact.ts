import { compactRollups } from "../app/domain/funnel/rollups.server";
import { QUEUES } from "../app/infra/queues";
import type { JobHandler } from "./job-context";

/** Every minute: folds the lifecycle rollup deltas into the rollup tables (keeps dashboard reads small). */
export const funnelCompact: JobHandler = {
  queue: QUEUES.funnelCompact,
  async handle(_jobs, { db }) {
    await compactRollups(db);
  },
};
