import { sql } from "kysely";
import { bossDb } from "../app/infra/job-client.server";
import { QUEUES } from "../app/infra/queues";
import type { Database } from "../db/schema";
import type { HandbackOutcome } from "../db/tables/workers";
import type { JobContext } from "./job-context";
import { WORKER_LOCK_SPACE, type WorkerPresence } from "./worker-presence";

/**
 * The reaper (docs/decisions/026-worker-presence.md), run by every worker every
 * WORKER_REAPER_INTERVAL_SECONDS. A worker is dead when its presence lock can be taken (its session is
 * gone: killed, crashed, out of memory). Its active jobs are failed through pg-boss and made due at once,
 * so a live worker picks them up within a polling interval instead of after pg-boss's expiry (2–4 h); the
 * lease of a wave batch it held is cleared, since the retry would otherwise wait 15 min for it. A roll
 * import needs nothing: its own lock went with the dead session and its retry resumes the roll; a deadline
 * sweep is set-based and continues where the committed batches stopped.
 */

export interface HandedBack {
  workerId: number;
  host: string;
  pid: number;
  jobs: Array<{ jobId: string; queue: string; outcome: HandbackOutcome }>;
}

/** Heartbeats older than this mark a worker stale even if its lock is held (a host cut off the network). */
export function staleAfterSeconds(intervalSeconds: number): number {
  return Math.max(6 * intervalSeconds, 60);
}

export async function reapDeadWorkers(
  ctx: Pick<JobContext, "db" | "boss" | "logger">,
  params: { selfId: number; staleAfterSeconds: number },
): Promise<HandedBack[]> {
  const { db, logger } = ctx;
  // A stale worker whose session still holds its lock: end that session, so the next round reaps it.
  const stale = await sql<{ id: number; pid: number }>`
    SELECT w.id, l.pid FROM worker w
    JOIN pg_locks l ON l.locktype = 'advisory' AND l.classid = ${WORKER_LOCK_SPACE}::int::oid
      AND l.objid = w.id::oid AND l.objsubid = 2 AND l.granted
    WHERE w.id <> ${params.selfId}
      AND w.heartbeat_at < now() - make_interval(secs => ${params.staleAfterSeconds})
  `.execute(db);
  for (const s of stale.rows) {
    logger.warn({ workerId: s.id }, "worker heartbeat stale: its presence session is ended");
    await sql`SELECT pg_terminate_backend(${s.pid})`.execute(db);
  }
  const candidates = await db.selectFrom("worker").select("id").where("id", "<>", params.selfId).execute();
  const reaped: HandedBack[] = [];
  for (const { id } of candidates) {
    const result = await handBack(ctx, id);
    if (result) reaped.push(result);
  }
  return reaped;
}

/** One dead worker, in one transaction; null when it is alive (or another reaper has it). */
async function handBack(
  ctx: Pick<JobContext, "db" | "boss" | "logger">,
  workerId: number,
): Promise<HandedBack | null> {
  const result = await ctx.db.transaction().execute(async (trx) => {
    // Taken only if the worker's session is gone; held until commit, so two reapers never hand back twice.
    const lock = await sql<{
      ok: boolean;
    }>`SELECT pg_try_advisory_xact_lock(${WORKER_LOCK_SPACE}, ${workerId}) AS ok`.execute(trx);
    if (!lock.rows[0]?.ok) return null;
    const worker = await trx
      .selectFrom("worker")
      .select(["id", "host", "pid"])
      .where("id", "=", workerId)
      .forUpdate()
      .executeTakeFirst();
    if (!worker) return null;
    const jobs = await sql<{
      job_id: string;
      queue: string;
      started_at: Date;
      state: string | null;
      data: unknown;
    }>`
      SELECT wj.job_id, wj.queue, wj.started_at, j.state::text AS state, j.data
      FROM worker_job wj LEFT JOIN pgboss.job j ON j.name = wj.queue AND j.id = wj.job_id
      WHERE wj.worker_id = ${workerId}
      ORDER BY wj.started_at
    `.execute(trx);
    const handed: HandedBack["jobs"] = [];
    for (const job of jobs.rows) {
      let outcome: HandbackOutcome = "gone";
      if (job.state === "active") {
        if (job.queue === QUEUES.waveBatch) {
          const batchId = (job.data as { batchId?: number } | null)?.batchId;
          if (typeof batchId === "number")
            await sql`UPDATE wave_batch SET lease_owner = NULL, lease_until = NULL WHERE id = ${batchId}`.execute(
              trx,
            );
        }
        await ctx.boss.fail(
          job.queue,
          job.job_id,
          { message: `worker ${worker.id} (pid ${worker.pid} sur ${worker.host}) arrêté : tâche rendue` },
          { db: bossDb<Database>(trx) },
        );
        // pg-boss would wait the queue's retry delay (with backoff): the job did not fail, its worker died.
        const after = await sql<{ state: string }>`
          UPDATE pgboss.job SET start_after = now() WHERE name = ${job.queue} AND id = ${job.job_id}::uuid AND state = 'retry'
          RETURNING state::text AS state
        `.execute(trx);
        outcome = after.rows.length > 0 ? "retry" : "failed";
      }
      await trx
        .insertInto("worker_handback")
        .values({
          worker_id: worker.id,
          host: worker.host,
          pid: worker.pid,
          job_id: job.job_id,
          queue: job.queue,
          outcome,
          job_started_at: job.started_at,
        })
        .execute();
      handed.push({ jobId: job.job_id, queue: job.queue, outcome });
    }
    await trx.deleteFrom("worker").where("id", "=", workerId).execute();
    return { workerId: worker.id, host: worker.host, pid: worker.pid, jobs: handed };
  });
  if (result) {
    for (const job of result.jobs)
      ctx.logger.warn(
        {
          workerId: result.workerId,
          pid: result.pid,
          host: result.host,
          queue: job.queue,
          jobId: job.jobId,
          outcome: job.outcome,
        },
        "dead worker's job handed back",
      );
    if (result.jobs.length === 0)
      ctx.logger.info({ workerId: result.workerId }, "dead worker removed (no job)");
  }
  return result;
}

/** Every interval: renew this worker's presence, then reap. Errors are logged; the next round tries again. */
export function startReaper(
  ctx: Pick<JobContext, "db" | "boss" | "logger">,
  presence: WorkerPresence,
  intervalSeconds: number,
): { stop(): Promise<void> } {
  let running: Promise<unknown> | null = null;
  const round = async () => {
    try {
      await presence.beat();
      await reapDeadWorkers(ctx, {
        selfId: presence.id,
        staleAfterSeconds: staleAfterSeconds(intervalSeconds),
      });
    } catch (error) {
      ctx.logger.warn({ err: error }, "worker reaper round failed");
    }
  };
  running = round(); // a restarted worker hands back its dead predecessor's jobs before its first interval
  const timer = setInterval(() => {
    running ??= round().finally(() => {
      running = null;
    });
  }, intervalSeconds * 1000);
  void running.finally(() => {
    running = null;
  });
  return {
    async stop() {
      clearInterval(timer);
      await running;
    },
  };
}
