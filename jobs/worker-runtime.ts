import { QUEUES, SCHEDULES } from "../app/infra/queues";
import { HANDLERS } from "./handlers";
import type { JobContext, JobHandler } from "./job-context";
import { runJobs } from "./refusals";
import type { WorkerPresence } from "./worker-presence";

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
  presence?: WorkerPresence,
): Promise<void> {
  for (const handler of handlers) {
    const workers = BULK_QUEUES.has(handler.queue) ? ctx.config.workerConcurrency : 1;
    for (let i = 0; i < workers; i++) {
      await ctx.boss.work<object>(handler.queue, { pollingIntervalSeconds: 1, ...handler.options }, (jobs) =>
        presence ? recorded(ctx, presence, handler, jobs) : runJobs(handler, jobs, ctx),
      );
    }
  }
  for (const schedule of schedules) {
    await ctx.boss.schedule(schedule.queue, schedule.cron, schedule.data ?? {}, { tz: "Europe/Paris" });
  }
}

/**
 * Runs a fetch with its jobs recorded in `worker_job` under this worker, so that if the process dies the
 * reaper knows which active jobs were its own (jobs/reaper.ts). The row goes once pg-boss has the result.
 */
async function recorded(
  ctx: JobContext,
  presence: WorkerPresence,
  handler: JobHandler,
  jobs: Parameters<typeof runJobs>[1],
): Promise<unknown> {
  const ids = jobs.map((j) => j.id);
  await ctx.db
    .insertInto("worker_job")
    .values(jobs.map((j) => ({ job_id: j.id, worker_id: presence.id, queue: handler.queue })))
    .onConflict((oc) => oc.column("job_id").doUpdateSet({ worker_id: presence.id, started_at: new Date() }))
    .execute();
  try {
    return await runJobs(handler, jobs, ctx);
  } finally {
    await ctx.db
      .deleteFrom("worker_job")
      .where("job_id", "in", ids)
      .execute()
      .catch((error: Error) => ctx.logger.warn({ err: error }, "worker_job row not deleted"));
  }
}
