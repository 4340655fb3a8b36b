import { sql } from "kysely";
import type PgBoss from "pg-boss";
import type { DB } from "../../../db/connection";
import type { Database } from "../../../db/schema";
import { inTransaction as withTransaction } from "../../../db/transaction";
import { bossDb } from "../../infra/job-client.server";
import { QUEUES, type SlaJobData, type SlaJobKind } from "../../infra/queues";
import type { CaseType } from "./case";
import { routeWaitingCases } from "./case-routing.server";
import { recordHistory } from "./history.server";
import { type SlaClock, slaDeadlines, slaLevel } from "./sla";
import { isWorkingTime, nextWorkingInstant } from "./working-time";

export type { SlaJobData, SlaJobKind };

/** What the SLA use cases need besides the database: the job client (deadline jobs go in the same transaction). */
export interface SlaDeps {
  boss: PgBoss;
}

/** A deadline run also takes its clock: the sweep fixes one instant for all its cases, a test its own. */
export interface SlaRunDeps extends SlaDeps {
  now?: Date;
}

interface CaseClockRow {
  id: number;
  type: CaseType;
  state: string;
  sla_target_minutes: number | null;
  sla_consumed_minutes: number;
  sla_clock_started_at: Date | null;
  sla_status: "ok" | "at_risk" | "breached";
  sla_version: number;
  warn_pct: number | null;
}

async function lockClock(trx: DB, caseId: number): Promise<CaseClockRow | undefined> {
  const row = await sql<CaseClockRow>`
    SELECT c.id, c.type, c.state, c.sla_target_minutes, c.sla_consumed_minutes, c.sla_clock_started_at,
           c.sla_status, c.sla_version, s.warn_pct
    FROM helpline_case c LEFT JOIN helpline_sla s ON s.case_type = c.type
    WHERE c.id = ${caseId}
    FOR UPDATE OF c
  `.execute(trx);
  return row.rows[0];
}

function clockOf(row: CaseClockRow): SlaClock | null {
  if (!row.sla_target_minutes) return null;
  return {
    targetMinutes: row.sla_target_minutes,
    warnPct: row.warn_pct ?? 80,
    consumedMinutes: row.sla_consumed_minutes,
    startedAt: row.sla_clock_started_at,
  };
}

/** Schedules the warning and breach jobs of a clock version (a new version makes older jobs no-ops). */
async function scheduleJobs(
  trx: DB,
  boss: PgBoss,
  caseId: number,
  version: number,
  deadlines: { warnAt: Date | null; dueAt: Date | null },
  status: "ok" | "at_risk" | "breached",
): Promise<void> {
  const jobs: PgBoss.JobInsert[] = [];
  if (deadlines.warnAt && status === "ok") {
    jobs.push({
      name: QUEUES.slaDeadline,
      data: { caseId, version, kind: "warn" } satisfies SlaJobData,
      startAfter: deadlines.warnAt,
      singletonKey: `sla:${caseId}:${version}:warn`,
    });
  }
  if (deadlines.dueAt && status !== "breached") {
    jobs.push({
      name: QUEUES.slaDeadline,
      data: { caseId, version, kind: "breach" } satisfies SlaJobData,
      startAfter: deadlines.dueAt,
      singletonKey: `sla:${caseId}:${version}:breach`,
    });
  }
  if (jobs.length) await boss.insert(jobs, { db: bossDb(trx) });
}

/**
 * (Re)computes a case's SLA deadlines from its clock and current target, bumps its version and schedules
 * the jobs. Called at creation, on pause/resume, and when the SLA or the case type changes.
 */
export async function armSla(
  db: DB,
  deps: SlaDeps,
  params: { caseId: number; now?: Date; resetTarget?: boolean },
): Promise<void> {
  const now = params.now ?? new Date();
  await withTransaction(db, async (trx) => {
    const row = await lockClock(trx, params.caseId);
    if (!row) return;
    if (params.resetTarget) {
      const target = await trx
        .selectFrom("helpline_sla")
        .select("target_minutes")
        .where("case_type", "=", row.type)
        .executeTakeFirst();
      row.sla_target_minutes = target?.target_minutes ?? null;
    }
    const clock = clockOf(row);
    const open = row.state !== "resolved";
    const deadlines = clock && open ? slaDeadlines(clock) : { warnAt: null, dueAt: null };
    // A breach stays a breach (it was escalated). A recomputed clock already past due is marked at risk
    // and its breach job (due in the past) runs at once, so the escalation has one path.
    const level = clock && open ? slaLevel(clock, now) : "ok";
    const status = row.sla_status === "breached" ? "breached" : level === "ok" ? "ok" : "at_risk";
    const version = row.sla_version + 1;
    await trx
      .updateTable("helpline_case")
      .set({
        sla_target_minutes: row.sla_target_minutes,
        sla_warn_at: deadlines.warnAt,
        sla_due_at: deadlines.dueAt,
        sla_status: status,
        sla_version: version,
      })
      .where("id", "=", row.id)
      .execute();
    if (open) await scheduleJobs(trx, deps.boss, row.id, version, deadlines, status);
  });
}

/** A new target for a case type: every open case of that type is recomputed. */
export async function recomputeSlaForType(db: DB, deps: SlaDeps, type: CaseType): Promise<number> {
  const open = await db
    .selectFrom("helpline_case")
    .select("id")
    .where("type", "=", type)
    .where("state", "<>", "resolved")
    .execute();
  for (const c of open) await armSla(db, deps, { caseId: c.id, resetTarget: true });
  return open.length;
}

export type DeadlineOutcome = "warned" | "escalated" | "rescheduled" | "stale" | "not_yet";

/**
 * Runs a deadline (from its job or the sweep): re-checks the case under lock, never acts outside working
 * hours (moves the job to the next opening instead), marks the case at risk, or escalates a breach to the
 * supervisors' queue.
 */
export async function applySlaDeadline(db: DB, deps: SlaRunDeps, job: SlaJobData): Promise<DeadlineOutcome> {
  const now = deps.now ?? new Date();
  const outcome = await withTransaction(db, async (trx): Promise<DeadlineOutcome> => {
    const row = await lockClock(trx, job.caseId);
    if (!row || row.state === "resolved" || row.sla_version !== job.version) return "stale";
    const clock = clockOf(row);
    if (!clock || !clock.startedAt) return "stale";
    if (!isWorkingTime(now)) {
      await deps.boss.send(QUEUES.slaDeadline, job, {
        startAfter: nextWorkingInstant(now),
        singletonKey: `sla:${job.caseId}:${job.version}:${job.kind}:${nextWorkingInstant(now).toISOString()}`,
        db: bossDb<Database>(trx),
      });
      return "rescheduled";
    }
    const level = slaLevel(clock, now);
    if (job.kind === "warn") {
      if (level === "ok" || row.sla_status !== "ok") return level === "ok" ? "not_yet" : "stale";
      await trx
        .updateTable("helpline_case")
        .set({ sla_status: "at_risk" })
        .where("id", "=", row.id)
        .execute();
      await recordHistory(trx, [{ caseId: row.id, kind: "sla", from: "ok", to: "at_risk", at: now }]);
      return "warned";
    }
    if (level !== "breached") return "not_yet";
    if (row.sla_status === "breached") return "stale";
    await escalate(trx, row.id, row.sla_status, now);
    return "escalated";
  });
  if (outcome === "escalated" && !db.isTransaction) await routeWaitingCases(db, { caseIds: [job.caseId] });
  return outcome;
}

async function escalate(trx: DB, caseId: number, fromStatus: string, now: Date): Promise<void> {
  const queue = await trx
    .selectFrom("helpline_queue")
    .select("id")
    .where("is_escalation", "=", true)
    .executeTakeFirst();
  const before = await trx
    .selectFrom("helpline_case")
    .select(["state", "queue_id", "assigned_user_id"])
    .where("id", "=", caseId)
    .executeTakeFirstOrThrow();
  await trx
    .updateTable("helpline_case")
    .set({
      sla_status: "breached",
      state: "escalated",
      queue_id: queue?.id ?? before.queue_id,
      priority: 1,
      assigned_user_id: null,
      assigned_at: null,
      updated_at: now,
      routing_waiting_since: null,
    })
    .where("id", "=", caseId)
    .execute();
  await trx
    .insertInto("helpline_routing_decision")
    .values({
      case_id: caseId,
      at: now,
      mode: "escalation",
      agent_user_id: null,
      previous_user_id: before.assigned_user_id,
      reason: queue
        ? "SLA dépassé : dossier escaladé vers la file de supervision"
        : "SLA dépassé : aucune file de supervision définie, dossier remis dans sa file en priorité 1",
    })
    .execute();
  await recordHistory(trx, [
    { caseId, kind: "sla", from: fromStatus, to: "breached", at: now },
    {
      caseId,
      kind: "state",
      from: before.state,
      to: "escalated",
      at: now,
      details: { reason: "sla_breach" },
    },
    { caseId, kind: "queue", from: before.queue_id, to: queue?.id ?? before.queue_id, at: now },
  ]);
}

/** Safety net behind the per-case jobs (a worker down at the deadline): only during working hours. */
export async function sweepSla(db: DB, deps: SlaRunDeps): Promise<number> {
  const now = deps.now ?? new Date();
  if (!isWorkingTime(now)) return 0;
  const due = await db
    .selectFrom("helpline_case")
    .select(["id", "sla_version", "sla_status", "sla_due_at"])
    .where("state", "<>", "resolved")
    .where((eb) =>
      eb.or([
        eb.and([eb("sla_status", "=", "ok"), eb("sla_warn_at", "<=", now)]),
        eb.and([eb("sla_status", "<>", "breached"), eb("sla_due_at", "<=", now)]),
      ]),
    )
    .limit(500)
    .execute();
  let acted = 0;
  for (const c of due) {
    const kind: SlaJobKind = c.sla_due_at && c.sla_due_at <= now ? "breach" : "warn";
    const outcome = await applySlaDeadline(
      db,
      { ...deps, now },
      { caseId: c.id, version: c.sla_version, kind },
    );
    if (outcome === "warned" || outcome === "escalated") acted++;
  }
  return acted;
}
