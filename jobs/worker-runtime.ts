import { HANDLERS } from "./handlers";
import type { JobContext } from "./job-context";
import { SCHEDULES } from "./queues";

/** Registers every handler and schedule on an already started boss. */
export async function startWorkers(ctx: JobContext): Promise<void> {
  for (const handler of HANDLERS) {
    await ctx.boss.work<object>(
      handler.queue,
      { pollingIntervalSeconds: 1, ...handler.options },
      async (jobs) => {
        try {
          return await handler.handle(jobs, ctx);
        } catch (error) {
          ctx.logger.warn({ err: error, queue: handler.queue }, "job failed (pg-boss will retry)");
          throw error; // let pg-boss retry / dead-letter
        }
      },
    );
  }
  for (const schedule of SCHEDULES) {
    await ctx.boss.schedule(schedule.queue, schedule.cron, schedule.data ?? {}, { tz: "Europe/Paris" });
  }
}
