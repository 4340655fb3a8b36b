import { sql } from "kysely";
import type PgBoss from "pg-boss";
import type { DB } from "../../../db/connection";
import type { Database } from "../../../db/schema";
import { bossDb } from "../../infra/job-client.server";
import { type AuditActor, writeAudit } from "../audit/audit.server";
import {
  describeJobError,
  isJobState,
  JOB_STATES,
  type JobState,
  type WorkerStatus,
  workerStatus,
} from "./job-status";

/**
 * The Jobs admin page's use cases. pg-boss 10 keeps live jobs in `pgboss.job` (one partition per queue)
 * and moves finished ones to `pgboss.archive`; failed jobs stay in `pgboss.job` for a week
 * (`archiveFailedAfterSeconds`), which is where they can be retried.
 */

export interface QueueSummary {
  name: string;
  policy: string;
  deadLetter: string | null;
  counts: Record<JobState, number>;
  total: number;
}

export interface JobFailure {
  id: string;
  queue: string;
  retryCount: number;
  retryLimit: number;
  createdOn: Date;
  failedOn: Date | null;
  error: string;
}

export interface FailurePage {
  failures: JobFailure[];
  total: number;
  page: number;
  pageSize: number;
  pageCount: number;
}

export const FAILURES_PAGE_SIZE = 20;

function emptyCounts(): Record<JobState, number> {
  return Object.fromEntries(JOB_STATES.map((s) => [s, 0])) as Record<JobState, number>;
}

/** Every queue pg-boss knows, with its job counts per state (queues without jobs show zeros). */
export async function queueOverview(db: DB, deps: { boss: PgBoss }): Promise<QueueSummary[]> {
  const queues = await deps.boss.getQueues();
  const rows = await sql<{ name: string; state: string; n: number }>`
    SELECT name, state::text AS state, count(*)::int AS n FROM pgboss.job GROUP BY name, state
  `.execute(db);
  const byQueue = new Map<string, Record<JobState, number>>();
  for (const row of rows.rows) {
    if (!isJobState(row.state)) continue;
    const counts = byQueue.get(row.name) ?? emptyCounts();
    counts[row.state] = row.n;
    byQueue.set(row.name, counts);
  }
  return queues
    .filter((q) => !q.name.startsWith("__pgboss__")) // pg-boss's own internal queues
    .map((q) => {
      const counts = byQueue.get(q.name) ?? emptyCounts();
      return {
        name: q.name,
        policy: q.policy ?? "standard",
        deadLetter: q.deadLetter ?? null,
        counts,
        total: JOB_STATES.reduce((sum, s) => sum + counts[s], 0),
      };
    })
    .sort((a, b) => a.name.localeCompare(b.name));
}

export const HEARTBEAT_KEY = "worker.heartbeat";

/** The last beat written by the heartbeat job (jobs/heartbeat.ts), judged against `now`. */
export async function readWorkerStatus(db: DB, params: { now?: Date } = {}): Promise<WorkerStatus> {
  const row = await db
    .selectFrom("app_setting")
    .select("updated_at")
    .where("key", "=", HEARTBEAT_KEY)
    .executeTakeFirst();
  return workerStatus(row ? new Date(row.updated_at) : null, params.now ?? new Date());
}

export interface WorkerPresence {
  alive: number;
  running: number;
  handedBackDay: number;
  lastHandbacks: Array<{ queue: string; host: string; pid: number; outcome: string; at: Date }>;
}

/**
 * The registered worker processes, the jobs they run, and what the reaper handed back from dead ones
 * (jobs/reaper.ts): a campaign manager sees that a crash was recovered, not only that the queue moved.
 */
export async function readWorkerPresence(db: DB): Promise<WorkerPresence> {
  const [counts, last] = await Promise.all([
    sql<{ alive: number; running: number; day: number }>`
      SELECT (SELECT count(*)::int FROM worker) AS alive,
             (SELECT count(*)::int FROM worker_job) AS running,
             (SELECT count(*)::int FROM worker_handback WHERE handed_back_at > now() - interval '24 hours') AS day
    `.execute(db),
    db
      .selectFrom("worker_handback")
      .select(["queue", "host", "pid", "outcome", "handed_back_at"])
      .orderBy("handed_back_at", "desc")
      .limit(5)
      .execute(),
  ]);
  const c = counts.rows[0];
  return {
    alive: c?.alive ?? 0,
    running: c?.running ?? 0,
    handedBackDay: c?.day ?? 0,
    lastHandbacks: last.map((h) => ({
      queue: h.queue,
      host: h.host,
      pid: h.pid,
      outcome: h.outcome,
      at: h.handed_back_at,
    })),
  };
}

/** Failed jobs, most recent first; the error text is scrubbed of personal data before it leaves here. */
export async function listFailures(
  db: DB,
  params: { page: number; queue?: string | null; pageSize?: number },
): Promise<FailurePage> {
  const pageSize = params.pageSize ?? FAILURES_PAGE_SIZE;
  const queue = params.queue || null;
  const queueFilter = sql`AND (${queue}::text IS NULL OR name = ${queue})`;
  const counted = await sql<{ n: number }>`
    SELECT count(*)::int AS n FROM pgboss.job WHERE state = 'failed' ${queueFilter}
  `.execute(db);
  const total = counted.rows[0]?.n ?? 0;
  const pageCount = Math.max(1, Math.ceil(total / pageSize));
  const page = Math.min(Math.max(1, params.page), pageCount);
  const rows = await sql<{
    id: string;
    name: string;
    retry_count: number;
    retry_limit: number;
    created_on: Date;
    completed_on: Date | null;
    output: unknown;
  }>`
    SELECT id, name, retry_count, retry_limit, created_on, completed_on, output
    FROM pgboss.job
    WHERE state = 'failed' ${queueFilter}
    ORDER BY completed_on DESC NULLS LAST, id
    LIMIT ${pageSize} OFFSET ${(page - 1) * pageSize}
  `.execute(db);
  return {
    failures: rows.rows.map((r) => ({
      id: r.id,
      queue: r.name,
      retryCount: r.retry_count,
      retryLimit: r.retry_limit,
      createdOn: r.created_on,
      failedOn: r.completed_on,
      error: describeJobError(r.output),
    })),
    total,
    page,
    pageSize,
    pageCount,
  };
}

export type RetryResult =
  | { kind: "retried" }
  | { kind: "not_found" }
  | { kind: "not_failed"; state: JobState };

/**
 * Puts a failed job back in its queue (pg-boss `retry`: state `retry`, one more attempt allowed) and
 * audits it, in one transaction. The row lock makes a double click retry once and report the second.
 */
export async function retryFailedJob(
  db: DB,
  deps: { boss: PgBoss },
  actor: AuditActor,
  params: { queue: string; id: string },
): Promise<RetryResult> {
  return db.transaction().execute(async (trx) => {
    const found = await sql<{ state: string }>`
      SELECT state::text AS state FROM pgboss.job WHERE name = ${params.queue} AND id = ${params.id}::uuid FOR UPDATE
    `.execute(trx);
    const state = found.rows[0]?.state;
    if (!state || !isJobState(state)) return { kind: "not_found" };
    if (state !== "failed") return { kind: "not_failed", state };
    await deps.boss.retry(params.queue, params.id, { db: bossDb<Database>(trx) });
    await writeAudit(trx, actor, {
      action: "jobs.retry",
      objectType: "job",
      objectId: params.id,
      details: { queue: params.queue },
    });
    return { kind: "retried" };
  });
}
