import { type Kysely, sql } from "kysely";
import type { Database } from "../../../db/schema";
import type { AuditActor } from "../audit/audit.server";
import { writeAudit } from "../audit/audit.server";
import type { AgentPresence, CaseType } from "./case";
import { HelplineError, withTransaction } from "./errors";
import { recordHistory } from "./history.server";
import { type AgentCandidate, planAssignments } from "./routing-choice";

/**
 * Routing of cases to agents. Concurrency rules (several web processes, the routing job and agents
 * clicking "Dossier suivant" at once):
 * - a waiting case is taken with `FOR UPDATE SKIP LOCKED` and assigned with a conditional
 *   `UPDATE … WHERE assigned_user_id IS NULL`, so a case never goes to two agents;
 * - every assignment locks the receiving agent's row first (`FOR UPDATE`), then counts that agent's open
 *   cases: loads only grow under that lock, so capacity is never exceeded.
 */

const WAITING_STATES = ["new", "escalated"] as const;

/** Which queue and priority a new case goes to: the most specific rule (type+department > type > department > any). */
export async function resolveQueue(
  db: Kysely<Database>,
  params: { type: CaseType; department: string | null },
): Promise<{ queueId: number; priority: number; ruleId: number | null }> {
  const rule = await db
    .selectFrom("helpline_routing_rule")
    .select(["id", "queue_id", "priority"])
    .where((eb) => eb.or([eb("case_type", "=", params.type), eb("case_type", "is", null)]))
    .where((eb) =>
      params.department
        ? eb.or([eb("department", "=", params.department), eb("department", "is", null)])
        : eb("department", "is", null),
    )
    .orderBy(sql`(case_type IS NOT NULL)::int * 2 + (department IS NOT NULL)::int`, "desc")
    .limit(1)
    .executeTakeFirst();
  if (rule) return { queueId: rule.queue_id, priority: rule.priority, ruleId: rule.id };
  const fallback = await db
    .selectFrom("helpline_queue")
    .select("id")
    .where("is_escalation", "=", false)
    .orderBy("id")
    .limit(1)
    .executeTakeFirst();
  if (!fallback)
    throw new HelplineError("invalid", "aucune file d'attente n'est définie : créez-en une (Routage)");
  return { queueId: fallback.id, priority: 3, ruleId: null };
}

interface LockedAgent {
  user_id: number;
  capacity: number;
  presence: AgentPresence;
  idle_since: Date;
}

/** Loads (open cases) of some agents. Call with the agents' rows locked. */
async function loadsOf(db: Kysely<Database>, userIds: number[]): Promise<Map<number, number>> {
  if (userIds.length === 0) return new Map();
  const rows = await db
    .selectFrom("helpline_case")
    .select(["assigned_user_id", (eb) => eb.fn.countAll<number>().as("n")])
    .where("assigned_user_id", "in", userIds)
    .where("state", "<>", "resolved")
    .groupBy("assigned_user_id")
    .execute();
  return new Map(rows.map((r) => [Number(r.assigned_user_id), Number(r.n)]));
}

async function skillsOf(db: Kysely<Database>, userIds: number[]): Promise<Map<number, Set<number>>> {
  const out = new Map<number, Set<number>>(userIds.map((id) => [id, new Set<number>()]));
  if (userIds.length === 0) return out;
  const rows = await db
    .selectFrom("helpline_agent_skill")
    .select(["user_id", "queue_id"])
    .where("user_id", "in", userIds)
    .execute();
  for (const r of rows) out.get(r.user_id)?.add(r.queue_id);
  return out;
}

export interface RoutingRun {
  assigned: number;
  waiting: number;
}

/**
 * Routes up to `limit` waiting cases (priority, then oldest first) to available agents. Safe to run
 * concurrently: other runs skip the cases and agents this one holds and route the rest.
 */
export async function routeWaitingCases(
  db: Kysely<Database>,
  params: { queueIds?: number[]; caseIds?: number[]; limit?: number; now?: Date } = {},
): Promise<RoutingRun> {
  const now = params.now ?? new Date();
  return withTransaction(db, async (trx) => {
    let query = trx
      .selectFrom("helpline_case")
      .select(["id", "queue_id"])
      .where("assigned_user_id", "is", null)
      .where("state", "in", WAITING_STATES)
      .orderBy("priority")
      .orderBy("created_at")
      .orderBy("id")
      .limit(params.limit ?? 500)
      .forUpdate()
      .skipLocked();
    if (params.queueIds)
      query = query.where("queue_id", "in", params.queueIds.length ? params.queueIds : [-1]);
    if (params.caseIds) query = query.where("id", "in", params.caseIds.length ? params.caseIds : [-1]);
    const cases = await query.execute();
    if (cases.length === 0) return { assigned: 0, waiting: 0 };
    const queues = [...new Set(cases.map((c) => c.queue_id))];
    // Lock the candidate agents (in id order; agents held by another router are skipped this time).
    const agents = (
      await sql<LockedAgent>`
        SELECT user_id, capacity, presence, idle_since FROM helpline_agent
        WHERE presence = 'available'
          AND user_id IN (SELECT user_id FROM helpline_agent_skill WHERE queue_id = ANY(${queues}::bigint[]))
        ORDER BY user_id
        FOR UPDATE SKIP LOCKED
      `.execute(trx)
    ).rows;
    const ids = agents.map((a) => Number(a.user_id));
    const [loads, skills] = await Promise.all([loadsOf(trx, ids), skillsOf(trx, ids)]);
    const candidates: AgentCandidate[] = agents.map((a) => ({
      userId: Number(a.user_id),
      presence: a.presence,
      capacity: a.capacity,
      load: loads.get(Number(a.user_id)) ?? 0,
      skills: skills.get(Number(a.user_id)) ?? new Set(),
      idleSince: a.idle_since,
    }));
    // Skilled agents who are not available are never chosen, but they make the waiting reason exact.
    const absent = (
      await sql<{ user_id: number; presence: AgentPresence }>`
        SELECT DISTINCT a.user_id, a.presence FROM helpline_agent a
        JOIN helpline_agent_skill s ON s.user_id = a.user_id AND s.queue_id = ANY(${queues}::bigint[])
        WHERE a.presence <> 'available'
      `.execute(trx)
    ).rows;
    if (absent.length) {
      const absentSkills = await skillsOf(
        trx,
        absent.map((a) => Number(a.user_id)),
      );
      for (const a of absent) {
        candidates.push({
          userId: Number(a.user_id),
          presence: a.presence,
          capacity: 0,
          load: 0,
          skills: absentSkills.get(Number(a.user_id)) ?? new Set(),
          idleSince: now,
        });
      }
    }
    const plan = planAssignments(
      cases.map((c) => ({ id: c.id, queueId: c.queue_id })),
      candidates,
      now,
    );
    if (plan.assignments.length > 0) {
      const caseIds = plan.assignments.map((a) => a.caseId);
      const userIds = plan.assignments.map((a) => a.userId);
      const reasons = plan.assignments.map((a) => a.reason);
      await sql`
        WITH plan AS (
          SELECT * FROM unnest(${caseIds}::bigint[], ${userIds}::bigint[], ${reasons}::text[]) AS p(case_id, user_id, reason)
        ), moved AS (
          UPDATE helpline_case c
          SET assigned_user_id = plan.user_id, assigned_at = ${now},
              state = CASE WHEN c.state = 'escalated' THEN 'escalated' ELSE 'assigned' END,
              updated_at = ${now}, routing_waiting_since = NULL
          FROM plan WHERE c.id = plan.case_id AND c.assigned_user_id IS NULL
          RETURNING c.id, c.state, plan.user_id, plan.reason
        ), decided AS (
          INSERT INTO helpline_routing_decision (case_id, at, mode, agent_user_id, reason)
          SELECT id, ${now}, 'auto', user_id, reason FROM moved
        )
        INSERT INTO helpline_case_history (case_id, at, kind, from_value, to_value, details)
        SELECT id, ${now}, 'assignment', NULL, user_id::text, jsonb_build_object('mode', 'auto', 'state', state) FROM moved
      `.execute(trx);
      const lastByAgent = new Map<number, number>();
      for (const a of plan.assignments) lastByAgent.set(a.userId, (lastByAgent.get(a.userId) ?? 0) + 1);
      const agentIds = [...lastByAgent.keys()];
      // The agents just served become the most recently busy, in assignment order.
      await sql`
        UPDATE helpline_agent a SET idle_since = ${now}::timestamptz + (v.n || ' milliseconds')::interval
        FROM unnest(${agentIds}::bigint[], ${agentIds.map((_, i) => i)}::int[]) AS v(user_id, n)
        WHERE a.user_id = v.user_id
      `.execute(trx);
    }
    // A case that cannot be routed says why, once (then it waits for an agent to free up) — unless some
    // available agents were skipped because another router holds them: that router is at work.
    const contended =
      plan.unassigned.length > 0 &&
      Number(
        (
          await sql<{ n: number }>`
            SELECT count(DISTINCT a.user_id)::int AS n FROM helpline_agent a
            JOIN helpline_agent_skill s ON s.user_id = a.user_id AND s.queue_id = ANY(${queues}::bigint[])
            WHERE a.presence = 'available'
          `.execute(trx)
        ).rows[0]?.n ?? 0,
      ) > agents.length;
    if (plan.unassigned.length > 0 && !contended) {
      const ids2 = plan.unassigned.map((u) => u.caseId);
      const reasons2 = plan.unassigned.map((u) => u.reason);
      await sql`
        WITH w AS (
          UPDATE helpline_case c SET routing_waiting_since = ${now}
          FROM unnest(${ids2}::bigint[], ${reasons2}::text[]) AS u(case_id, reason)
          WHERE c.id = u.case_id AND c.routing_waiting_since IS NULL
          RETURNING c.id, u.reason
        )
        INSERT INTO helpline_routing_decision (case_id, at, mode, agent_user_id, reason)
        SELECT id, ${now}, 'auto', NULL, 'en attente : ' || reason FROM w
      `.execute(trx);
    }
    return { assigned: plan.assignments.length, waiting: plan.unassigned.length };
  });
}

/** Routes everything that can be routed, batch after batch (the periodic job and presence changes). */
export async function routeAll(
  db: Kysely<Database>,
  params: { queueIds?: number[]; batch?: number; maxBatches?: number } = {},
): Promise<RoutingRun> {
  const total: RoutingRun = { assigned: 0, waiting: 0 };
  for (let i = 0; i < (params.maxBatches ?? 200); i++) {
    const run = await routeWaitingCases(db, { queueIds: params.queueIds, limit: params.batch ?? 500 });
    total.assigned += run.assigned;
    total.waiting = run.waiting;
    if (run.assigned === 0) break;
  }
  return total;
}

async function lockAgent(db: Kysely<Database>, userId: number) {
  const agent = await db
    .selectFrom("helpline_agent")
    .select(["user_id", "capacity", "presence", "idle_since"])
    .where("user_id", "=", userId)
    .forUpdate()
    .executeTakeFirst();
  if (!agent)
    throw new HelplineError("not_an_agent", "vous n'avez pas de profil de conseiller 34 22 (voir Routage)");
  return agent;
}

async function queuesOfAgent(db: Kysely<Database>, userId: number): Promise<number[]> {
  const rows = await db
    .selectFrom("helpline_agent_skill")
    .select("queue_id")
    .where("user_id", "=", userId)
    .execute();
  return rows.map((r) => r.queue_id);
}

export type NextCaseResult =
  | { ok: true; caseId: number; origin: "mine" | "queue" }
  | { ok: false; reason: string };

/**
 * "Dossier suivant": the agent's own oldest case not yet started, else the first waiting case of the
 * agent's queues (priority, then oldest), if the agent is under capacity. Marks it in progress.
 */
export async function takeNextCase(
  db: Kysely<Database>,
  params: { userId: number; now?: Date; actor?: AuditActor },
): Promise<NextCaseResult> {
  const now = params.now ?? new Date();
  return withTransaction(db, async (trx) => {
    const result = await pickNextCase(trx, params.userId, now);
    if (result.ok && params.actor) {
      await writeAudit(trx, params.actor, {
        action: "helpline.case_taken",
        objectType: "helpline_case",
        objectId: result.caseId,
        details: { origin: result.origin },
      });
    }
    return result;
  });
}

async function pickNextCase(trx: Kysely<Database>, userId: number, now: Date): Promise<NextCaseResult> {
  const agent = await lockAgent(trx, userId);
  const mine = await trx
    .selectFrom("helpline_case")
    .select(["id", "state"])
    .where("assigned_user_id", "=", userId)
    .where("state", "in", ["assigned", "escalated"])
    .orderBy("priority")
    .orderBy("created_at")
    .limit(1)
    .forUpdate()
    .executeTakeFirst();
  if (mine) {
    await startWork(trx, { caseId: mine.id, from: mine.state, userId: userId, now });
    return { ok: true, caseId: mine.id, origin: "mine" };
  }
  const load = (await loadsOf(trx, [userId])).get(userId) ?? 0;
  if (load >= agent.capacity) {
    return {
      ok: false,
      reason: `vous avez déjà ${load} dossiers ouverts (capacité ${agent.capacity}) : terminez-en un d'abord`,
    };
  }
  const queues = await queuesOfAgent(trx, userId);
  if (queues.length === 0) return { ok: false, reason: "aucune file ne vous est attribuée (voir Routage)" };
  const next = await trx
    .selectFrom("helpline_case")
    .select(["id", "state"])
    .where("assigned_user_id", "is", null)
    .where("state", "in", WAITING_STATES)
    .where("queue_id", "in", queues)
    .orderBy("priority")
    .orderBy("created_at")
    .orderBy("id")
    .limit(1)
    .forUpdate()
    .skipLocked()
    .executeTakeFirst();
  if (!next) return { ok: false, reason: "aucun dossier en attente dans vos files" };
  const took = await takeWaitingCase(trx, {
    caseId: next.id,
    from: next.state,
    userId: userId,
    now,
    reason: "« Dossier suivant » : plus ancien dossier prioritaire de vos files",
  });
  if (!took) return { ok: false, reason: "dossier pris entre-temps, réessayez" };
  return { ok: true, caseId: next.id, origin: "queue" };
}

/**
 * The agent who opened a case during a call takes it, if under capacity (the case must still be waiting).
 * Returns false when it cannot (the case is then routed like any other).
 */
export async function claimCase(
  db: Kysely<Database>,
  params: { userId: number; caseId: number; now?: Date },
): Promise<boolean> {
  const now = params.now ?? new Date();
  return withTransaction(db, async (trx) => {
    const agent = await lockAgent(trx, params.userId);
    const load = (await loadsOf(trx, [params.userId])).get(params.userId) ?? 0;
    if (load >= agent.capacity) return false;
    return takeWaitingCase(trx, {
      caseId: params.caseId,
      from: "new",
      userId: params.userId,
      now,
      reason: "dossier ouvert par le conseiller pendant l'appel",
    });
  });
}

/**
 * Gives a still-waiting case to an agent whose row the caller holds locked (under capacity, checked by
 * the caller): conditional update, decision with its reason, history, started, agent's idle clock reset.
 */
async function takeWaitingCase(
  trx: Kysely<Database>,
  p: { caseId: number; from: string; userId: number; now: Date; reason: string },
): Promise<boolean> {
  const taken = await trx
    .updateTable("helpline_case")
    .set({ assigned_user_id: p.userId, assigned_at: p.now, updated_at: p.now, routing_waiting_since: null })
    .where("id", "=", p.caseId)
    .where("assigned_user_id", "is", null)
    .where("state", "in", WAITING_STATES)
    .executeTakeFirst();
  if (Number(taken.numUpdatedRows) !== 1) return false;
  await trx
    .insertInto("helpline_routing_decision")
    .values({
      case_id: p.caseId,
      at: p.now,
      mode: "next_case",
      agent_user_id: p.userId,
      actor_user_id: p.userId,
      reason: p.reason,
    })
    .execute();
  await recordHistory(trx, [
    {
      caseId: p.caseId,
      kind: "assignment",
      actorUserId: p.userId,
      to: p.userId,
      at: p.now,
      details: { mode: "next_case" },
    },
  ]);
  await startWork(trx, { caseId: p.caseId, from: p.from, userId: p.userId, now: p.now });
  await trx
    .updateTable("helpline_agent")
    .set({ idle_since: p.now })
    .where("user_id", "=", p.userId)
    .execute();
  return true;
}

async function startWork(
  trx: Kysely<Database>,
  p: { caseId: number; from: string; userId: number; now: Date },
): Promise<void> {
  // An escalated case keeps its state (it shows on the board as escalated until resolved).
  if (p.from === "escalated") return;
  await trx
    .updateTable("helpline_case")
    .set({ state: "in_progress", updated_at: p.now })
    .where("id", "=", p.caseId)
    .execute();
  await recordHistory(trx, [
    { caseId: p.caseId, kind: "state", actorUserId: p.userId, from: p.from, to: "in_progress", at: p.now },
  ]);
}

/**
 * Supervisor reassignment: to another agent (locked, under capacity, skill not required — the
 * supervisor decides) or back to the queue (`toUserId` null). Recorded with the supervisor's reason.
 */
export async function reassignCase(
  db: Kysely<Database>,
  actor: AuditActor,
  params: { caseId: number; toUserId: number | null; reason: string; now?: Date },
): Promise<void> {
  const now = params.now ?? new Date();
  await withTransaction(db, async (trx) => {
    if (params.toUserId != null) await lockAgent(trx, params.toUserId);
    const c = await trx
      .selectFrom("helpline_case")
      .select(["id", "state", "assigned_user_id"])
      .where("id", "=", params.caseId)
      .forUpdate()
      .executeTakeFirst();
    if (!c) throw new HelplineError("not_found", "dossier introuvable");
    if (c.state === "resolved")
      throw new HelplineError("refused", "dossier résolu : il ne peut plus être réaffecté");
    if (c.assigned_user_id === params.toUserId)
      throw new HelplineError("refused", "le dossier est déjà affecté à ce conseiller");
    if (params.toUserId != null) {
      const agent = await trx
        .selectFrom("helpline_agent")
        .select("capacity")
        .where("user_id", "=", params.toUserId)
        .executeTakeFirstOrThrow();
      const load = (await loadsOf(trx, [params.toUserId])).get(params.toUserId) ?? 0;
      if (load >= agent.capacity) {
        throw new HelplineError(
          "capacity",
          `ce conseiller est à pleine capacité (${load}/${agent.capacity})`,
        );
      }
    }
    const state = c.state === "escalated" ? "escalated" : params.toUserId == null ? "new" : "assigned";
    await trx
      .updateTable("helpline_case")
      .set({
        assigned_user_id: params.toUserId,
        assigned_at: params.toUserId == null ? null : now,
        state,
        updated_at: now,
        routing_waiting_since: null,
      })
      .where("id", "=", c.id)
      .execute();
    await trx
      .insertInto("helpline_routing_decision")
      .values({
        case_id: c.id,
        at: now,
        mode: params.toUserId == null ? "release" : "supervisor",
        agent_user_id: params.toUserId,
        previous_user_id: c.assigned_user_id,
        actor_user_id: actor.userId,
        reason: params.reason,
      })
      .execute();
    await recordHistory(trx, [
      {
        caseId: c.id,
        kind: "assignment",
        actorUserId: actor.userId,
        from: c.assigned_user_id,
        to: params.toUserId,
        at: now,
        details: { mode: "supervisor", reason: params.reason, state },
      },
    ]);
    await writeAudit(trx, actor, {
      action: "helpline.case_reassigned",
      objectType: "helpline_case",
      objectId: c.id,
      details: { from: c.assigned_user_id, to: params.toUserId, reason: params.reason },
    });
  });
  if (params.toUserId == null) await routeWaitingCases(db, { caseIds: [params.caseId] });
}

/** Presence change; becoming available (re)starts the idle clock and routes waiting cases at once. */
export async function setPresence(
  db: Kysely<Database>,
  actor: AuditActor,
  params: { userId: number; presence: AgentPresence; now?: Date },
): Promise<RoutingRun> {
  const now = params.now ?? new Date();
  await withTransaction(db, async (trx) => {
    const agent = await lockAgent(trx, params.userId);
    if (agent.presence === params.presence) return;
    await trx
      .updateTable("helpline_agent")
      .set({
        presence: params.presence,
        presence_changed_at: now,
        ...(params.presence === "available" ? { idle_since: now } : {}),
      })
      .where("user_id", "=", params.userId)
      .execute();
    await writeAudit(trx, actor, {
      action: "helpline.presence_changed",
      objectType: "helpline_agent",
      objectId: params.userId,
      details: { from: agent.presence, to: params.presence },
    });
  });
  if (params.presence !== "available" || db.isTransaction) return { assigned: 0, waiting: 0 };
  return routeAll(db, { queueIds: await queuesOfAgent(db, params.userId) });
}

/** After an agent frees a slot (case resolved): route waiting cases of the agent's queues. */
export async function routeForAgent(db: Kysely<Database>, userId: number): Promise<RoutingRun> {
  const queues = await queuesOfAgent(db, userId);
  if (queues.length === 0) return { assigned: 0, waiting: 0 };
  return routeAll(db, { queueIds: queues, maxBatches: 5 });
}
