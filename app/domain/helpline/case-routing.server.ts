import { sql } from "kysely";
import type { DB } from "../../../db/connection";
import { inTransaction as withTransaction } from "../../../db/transaction";
import type { AgentPresence, CaseType } from "./case";
import { HelplineError } from "./errors";
import { type AgentCandidate, planAssignments } from "./routing-choice";

/**
 * Background routing of waiting cases to agents (on case creation, presence and skill changes, freed slots
 * and the every-minute `case-routing` job). Concurrency rules (several web processes, the routing job and
 * agents clicking "Dossier suivant" at once — see agent-commands.server.ts):
 * - a waiting case is taken with `FOR UPDATE SKIP LOCKED` and assigned with a conditional
 *   `UPDATE … WHERE assigned_user_id IS NULL`, so a case never goes to two agents;
 * - every assignment locks the receiving agent's row first (`FOR UPDATE`), then counts that agent's open
 *   cases: loads only grow under that lock, so capacity is never exceeded.
 */

/** States of a case waiting for an agent. */
export const WAITING_STATES = ["new", "escalated"] as const;

/** Which queue and priority a new case goes to: the most specific rule (type+department > type > department > any). */
export async function resolveQueue(
  db: DB,
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
export async function loadsOf(db: DB, userIds: number[]): Promise<Map<number, number>> {
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

async function skillsOf(db: DB, userIds: number[]): Promise<Map<number, Set<number>>> {
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
  db: DB,
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
  db: DB,
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

export async function queuesOfAgent(db: DB, userId: number): Promise<number[]> {
  const rows = await db
    .selectFrom("helpline_agent_skill")
    .select("queue_id")
    .where("user_id", "=", userId)
    .execute();
  return rows.map((r) => r.queue_id);
}

/** After an agent frees a slot (case resolved): route waiting cases of the agent's queues. */
export async function routeForAgent(db: DB, userId: number): Promise<RoutingRun> {
  const queues = await queuesOfAgent(db, userId);
  if (queues.length === 0) return { assigned: 0, waiting: 0 };
  return routeAll(db, { queueIds: queues, maxBatches: 5 });
}
