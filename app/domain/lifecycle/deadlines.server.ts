import { sql } from "kysely";
import type PgBoss from "pg-boss";
import type { DB } from "../../../db/connection";
import { bossDb } from "../../infra/job-client.server";
import { QUEUES } from "../../infra/queues";
import { type AuditActor, SYSTEM_ACTOR, writeAudit } from "../audit/audit.server";
import { inDepartmentSql } from "../persons/department-sql.server";
import { bulkTransition } from "./bulk-transition.server";
import { addDays, endOfParisDay, parisDate, parisInstant } from "./paris-time";
import { fromStatesOf } from "./transitions";

/**
 * The automatic creation at the end of the window, exactly once:
 * - `planDeadlines` groups the window ends of notified persons by Paris day (from the `deadline_pending`
 *   rollup, never a scan of persons) and enqueues one `deadline-sweep` job per day, singleton key
 *   `deadline:YYYY-MM-DD`, starting right after that day ends. Run by the `deadline-planner` schedule and
 *   after a postponement, so it needs no cooperation from the notifier.
 * - `sweepDeadlineDay` auto-creates, in set-based batches (one statement = one short transaction), every
 *   person still `notified` whose window ended on or before that day. Idempotent and restartable: a batch
 *   only moves rows that are still `notified`, so a rerun after a crash continues where it stopped.
 * - `catchUpDeadlines` finds overdue persons the per-day jobs missed (downtime, lost job) and reports them.
 */

export const SWEEP_BATCH_SIZE = 20_000;

/**
 * The states in which a window runs: those the automatic creation moves from (TRANSITIONS: notified).
 * Due persons, the catch-up and postponements are read with them, never with a state typed again.
 */
export const WINDOW_STATES = fromStatesOf("auto_create");

/** A window over by the end of `dayEnd` (and already over now). Keeps person_state_window usable. */
function windowOverSql(dayEnd: Date) {
  return sql`window_ends_at <= ${dayEnd} AND window_ends_at < now()`;
}
export const CATCHUP_SETTING = "lifecycle.deadline_catchup";

export interface DeadlineDeps {
  boss: PgBoss;
  /** The clock; defaults to the current time (tests pass a fixed instant). */
  now?: Date;
}

export interface PlannedDay {
  day: string;
  persons: number;
  /** false when a job for that day was already waiting (singleton key). */
  queued: boolean;
}

export function sweepSingletonKey(day: string): string {
  return `deadline:${day}`;
}

/** The instant after which a day's sweep may run: midnight Paris at the start of the next day. */
export function sweepStartsAfter(day: string): Date {
  return parisInstant(addDays(day, 1), "00:00:00");
}

/**
 * Enqueues one sweep per day that still has notified persons, from today (Paris) on. Days already past
 * are the catch-up's business. Pass a transaction as `db` to plan atomically with a change of windows.
 */
export async function planDeadlines(db: DB, deps: DeadlineDeps): Promise<PlannedDay[]> {
  const today = parisDate(deps.now ?? new Date());
  const days = await sql<{ day: string; n: number }>`
    SELECT to_char(day, 'YYYY-MM-DD') AS day, sum(n)::bigint AS n FROM deadline_pending
    WHERE day >= ${today}::date GROUP BY day HAVING sum(n) > 0 ORDER BY day
  `.execute(db);
  const planned: PlannedDay[] = [];
  for (const { day, n } of days.rows) {
    const id = await enqueueSweep(db, deps.boss, day, sweepStartsAfter(day));
    planned.push({ day, persons: Number(n), queued: id !== null });
  }
  return planned;
}

async function enqueueSweep(db: DB, boss: PgBoss, day: string, startAfter: Date): Promise<string | null> {
  return boss.send(
    QUEUES.deadlineSweep,
    { day },
    { singletonKey: sweepSingletonKey(day), startAfter, db: bossDb(db) },
  );
}

export interface SweepBatchResult {
  autoCreated: number;
  /** Highest person id the batch looked at (keyset for the next batch), null when it found nothing. */
  lastId: number | null;
}

/**
 * One batch: lock up to `limit` due persons (skipping rows another transaction holds, e.g. an opposition
 * in flight), move them to `auto_created` dated at their window end, and write their events — one
 * statement (bulkTransition's keyset mode), so the state change and the events commit together. The
 * from-state is checked again in the UPDATE: of the sweep and a concurrent opposition, whichever commits
 * first wins.
 */
export async function sweepBatch(
  db: DB,
  params: { dayEnd: Date; afterId: number; limit: number; day: string; upToId?: number },
): Promise<SweepBatchResult> {
  const result = await bulkTransition(db, {
    event: "auto_create",
    source: "job",
    wave: "person",
    details: { deadline_day: params.day },
    persons: {
      kind: "keyset",
      where: windowOverSql(params.dayEnd),
      afterId: params.afterId,
      upToId: params.upToId,
      limit: params.limit,
      at: "window_ends_at",
    },
  });
  return { autoCreated: result.moved, lastId: result.lastId };
}

export interface SweepResult {
  day: string;
  autoCreated: number;
  batches: number;
  /** Persons still due when the sweep gave up waiting for locks held by other transactions. */
  stillLocked: number;
}

/**
 * Sweeps one Paris day (and any earlier day left behind). Keyset over person ids so each batch starts
 * where the previous stopped. The first pass splits the due id range into `lanes` slices swept in parallel
 * (each on its own connection; SKIP LOCKED keeps them apart anyway), then single passes from the start pick
 * up rows that were locked by another transaction the first time.
 */
export async function sweepDeadlineDay(
  db: DB,
  params: {
    day: string;
    batchSize?: number;
    maxPasses?: number;
    /** Parallel slices of the first pass (default 2: the two cores of a small database server). */
    lanes?: number;
    /** Called after each committed batch (progress, tests simulating a crash). */
    onBatch?: (batch: SweepBatchResult & { index: number }) => void | Promise<void>;
  },
): Promise<SweepResult> {
  const dayEnd = endOfParisDay(params.day);
  const limit = params.batchSize ?? SWEEP_BATCH_SIZE;
  let autoCreated = 0;
  let batches = 0;
  let failed = false;
  const sweepRange = async (from: number, upToId?: number) => {
    let afterId = from;
    while (!failed) {
      const batch = await sweepBatch(db, { dayEnd, afterId, limit, day: params.day, upToId });
      if (batch.lastId === null) return;
      batches++;
      autoCreated += batch.autoCreated;
      try {
        await params.onBatch?.({ ...batch, index: batches });
      } catch (error) {
        failed = true; // stop the other lanes after their current batch
        throw error;
      }
      afterId = batch.lastId;
    }
  };
  const lanes = Math.max(1, params.lanes ?? 2);
  const bounds = await sql<{ lo: number | null; hi: number | null }>`
    SELECT min(id) AS lo, max(id) AS hi FROM person
    WHERE state = ANY(${WINDOW_STATES}::text[]) AND ${windowOverSql(dayEnd)}
  `.execute(db);
  const lo = bounds.rows[0]?.lo;
  const hi = bounds.rows[0]?.hi;
  let laned = false;
  if (lo != null && hi != null && lanes > 1 && hi - lo > limit) {
    const step = Math.ceil((hi - lo + 1) / lanes);
    await Promise.all(
      Array.from({ length: lanes }, (_, i) =>
        sweepRange(lo - 1 + i * step, i === lanes - 1 ? undefined : lo - 1 + (i + 1) * step),
      ),
    );
    laned = true;
  }
  const maxPasses = params.maxPasses ?? 20;
  for (let pass = 0; pass < maxPasses; pass++) {
    if (!(laned && pass === 0)) await sweepRange(0);
    const remaining = await countDue(db, dayEnd);
    if (remaining === 0) return { day: params.day, autoCreated, batches, stillLocked: 0 };
    // Rows held by another transaction (an opposition being written): wait for it to commit, then retry.
    await new Promise((resolve) => setTimeout(resolve, 100 * (pass + 1)));
  }
  return { day: params.day, autoCreated, batches, stillLocked: await countDue(db, dayEnd) };
}

async function countDue(db: DB, dayEnd: Date): Promise<number> {
  const r = await sql<{ n: number }>`
    SELECT count(*)::int AS n FROM person
    WHERE state = ANY(${WINDOW_STATES}::text[]) AND ${windowOverSql(dayEnd)}
  `.execute(db);
  return Number(r.rows[0]?.n ?? 0);
}

export interface CatchUpReport {
  at: string;
  cutoff: string;
  overdue: number;
  days: Array<{ day: string; persons: number }>;
}

/**
 * Daily: persons still `notified` whose window ended before today (Paris) should have been swept by their
 * day's job. Reports them (app_setting + audit), and enqueues a sweep for each such day right away.
 */
export async function catchUpDeadlines(db: DB, deps: DeadlineDeps): Promise<CatchUpReport> {
  const now = deps.now ?? new Date();
  const cutoff = parisInstant(parisDate(now), "00:00:00");
  return db.transaction().execute(async (trx) => {
    const rows = await sql<{ day: string; n: number }>`
      SELECT to_char((window_ends_at AT TIME ZONE 'Europe/Paris')::date, 'YYYY-MM-DD') AS day, count(*)::int AS n
      FROM person WHERE state = ANY(${WINDOW_STATES}::text[]) AND window_ends_at < ${cutoff}
      GROUP BY 1 ORDER BY 1
    `.execute(trx);
    const days = rows.rows.map((r) => ({ day: r.day, persons: Number(r.n) }));
    const report: CatchUpReport = {
      at: now.toISOString(),
      cutoff: cutoff.toISOString(),
      overdue: days.reduce((s, d) => s + d.persons, 0),
      days,
    };
    await sql`
      INSERT INTO app_setting (key, value, updated_at) VALUES (${CATCHUP_SETTING}, ${JSON.stringify(report)}::jsonb, now())
      ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value, updated_at = now()
    `.execute(trx);
    if (report.overdue > 0) {
      await writeAudit(trx, SYSTEM_ACTOR, {
        action: "deadline.catchup",
        objectType: "deadline",
        objectId: null,
        details: { overdue: report.overdue, days },
      });
      for (const d of days) await enqueueSweep(trx, deps.boss, d.day, now);
    }
    return report;
  });
}

export async function lastCatchUpReport(db: DB): Promise<CatchUpReport | null> {
  const row = await db
    .selectFrom("app_setting")
    .select("value")
    .where("key", "=", CATCHUP_SETTING)
    .executeTakeFirst();
  return row ? (row.value as CatchUpReport) : null;
}

export type PostponeScope = { kind: "wave"; waveId: number } | { kind: "department"; department: string };

export interface PostponeResult {
  moved: number;
  codesExtended: number;
  replanned: PlannedDay[];
}

/**
 * Moves the still-open windows of a wave or a department by `days` calendar days (a postal strike):
 * one set-based statement moves the windows (Paris calendar arithmetic, DST-safe), extends the persons'
 * active codes by the same amount and writes one `postpone` event per person; then an audit entry and a
 * re-plan of the sweeps, all in the caller's transaction. Windows already over are left to their sweep.
 * Not a transition, so not bulkTransition: the state and `state_changed_at` stay as they are (moving the
 * latter would make an opposition dated between the notification and the postponement stale). The
 * persons it may touch are those whose window runs (WINDOW_STATES, from TRANSITIONS), and its event's
 * from/to state is the row's own.
 */
export async function postponeDeadlines(
  db: DB,
  deps: DeadlineDeps,
  actor: AuditActor,
  params: { scope: PostponeScope; days: number; reason: string },
): Promise<PostponeResult> {
  const now = deps.now ?? new Date();
  const scopeSql =
    params.scope.kind === "wave"
      ? sql`p.wave_id = ${params.scope.waveId}`
      : inDepartmentSql(params.scope.department, "p");
  const details = JSON.stringify({ days: params.days, reason: params.reason });
  const result = await sql<{ moved: number; codes: number }>`
    WITH target AS (
      SELECT id FROM person p
      WHERE p.state = ANY(${WINDOW_STATES}::text[]) AND p.window_ends_at > ${now} AND ${scopeSql}
      ORDER BY id FOR UPDATE
    ), moved AS (
      UPDATE person p
      SET window_ends_at = ((p.window_ends_at AT TIME ZONE 'Europe/Paris') + make_interval(days => ${params.days}))
                           AT TIME ZONE 'Europe/Paris',
          updated_at = now()
      FROM target WHERE p.id = target.id
      RETURNING p.id, p.state, p.window_ends_at, p.wave_id
    ), codes AS (
      UPDATE provisional_code c SET expires_at = c.expires_at + make_interval(days => ${params.days})
      FROM moved WHERE c.person_id = moved.id AND c.used_at IS NULL AND c.revoked_at IS NULL
      RETURNING 1
    ), events AS (
      INSERT INTO person_event (person_id, type, at, source, actor_user_id, wave_id, from_state, to_state, details)
      SELECT id, 'postpone', ${now}, 'staff', ${actor.userId}, wave_id, state, state,
             ${details}::jsonb || jsonb_build_object('window_ends_at', window_ends_at)
      FROM moved
      RETURNING 1
    )
    SELECT (SELECT count(*) FROM events)::int AS moved, (SELECT count(*) FROM codes)::int AS codes
  `.execute(db);
  const moved = Number(result.rows[0]?.moved ?? 0);
  const codesExtended = Number(result.rows[0]?.codes ?? 0);
  await writeAudit(db, actor, {
    action: "deadline.postpone",
    objectType: params.scope.kind,
    objectId: params.scope.kind === "wave" ? params.scope.waveId : params.scope.department,
    details: { days: params.days, reason: params.reason, moved, codes_extended: codesExtended },
  });
  const replanned = await planDeadlines(db, { boss: deps.boss, now });
  return { moved, codesExtended, replanned };
}
