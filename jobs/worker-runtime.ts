import { QUEUES, SCHEDULES } from "../app/infra/queues";
import { HANDLERS } from "./handlers";
import type { JobContext, JobHandler } from "./job-context";
import { runJobs } from "./refusals";

/**
 * Bulk queues: many independent jobs that wait on PostgreSQL and on providers (a wave's batches). pg-boss 10
 * has no concurrency option on `work()` (each call adds one polling worker that runs one fetch at a time), so
 * these get WORKER_CONCURRENCY workers in each process: one batch's database steps or email round trips
 * overlap another's rendering. Rendering letters is synchronous CPU work on the process's one JavaScript
 * thread, so using every core takes one worker process per core (`npm run worker`), not more of these.
 */
const BULK_QUEUES: ReadonlySet<string> = new Set([QUEUES.waveBatch]);

/**
 * Registers every handler and schedule on an already started boss (tests pass their own handlers, to
 * watch how many jobs of a queue run at once). Each fetch goes through runJobs, so a refusal completes its
 * job rather than being retried.
 */
export async function startWorkers(
  ctx: JobContext,
  handlers: readonly JobHandler[] = HANDLERS,
  schedules: typeof SCHEDULES = SCHEDULES,
): Promise<void> {
  for (const handler of handlers) {
    const workers = BULK_QUEUES.has(handler.queue) ? ctx.config.workerConcurrency : 1;
    for (let i = 0; i < workers; i++) {
      await ctx.boss.work<object>(handler.queue, { pollingIntervalSeconds: 1, ...handler.options }, (jobs) =>
        runJobs(handler, jobs, ctx),
      );
    }
  }
  for (const schedule of schedules) {
    await ctx.boss.schedule(schedule.queue, schedule.cron, schedule.data ?? {}, { tz: "Europe/Paris" });
  }
}
