import type { DB } from "../../../db/connection";
import { inTransaction as withTransaction } from "../../../db/transaction";
import type { AuditActor } from "../audit/audit.server";
import { writeAudit } from "../audit/audit.server";
import type { AgentPresence } from "./case";
import {
  loadsOf,
  queuesOfAgent,
  type RoutingRun,
  routeAll,
  routeWaitingCases,
  WAITING_STATES,
} from "./case-routing.server";
import { HelplineError } from "./errors";
import { recordHistory } from "./history.server";

/**
 * What an agent or a supervisor does from the console: « Dossier suivant », keeping a case opened during a
 * call, reassignment, presence. Every path that gives a case to an agent locks that agent's row first and
 * counts their open cases under the lock, like the background routing (case-routing.server.ts).
 */

async function lockAgent(db: DB, userId: number) {
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

export type NextCaseResult =
  | { ok: true; caseId: number; origin: "mine" | "queue" }
  | { ok: false; reason: string };

/**
 * "Dossier suivant": the agent's own oldest case not yet started, else the first waiting case of the
 * agent's queues (priority, then oldest), if the agent is under capacity. Marks it in progress.
 */
export async function takeNextCase(
  db: DB,
  actor: AuditActor,
  params: { userId: number; now?: Date },
): Promise<NextCaseResult> {
  const now = params.now ?? new Date();
  return withTransaction(db, async (trx) => {
    const result = await pickNextCase(trx, params.userId, now);
    if (result.ok) {
      await writeAudit(trx, actor, {
        action: "helpline.case_taken",
        objectType: "helpline_case",
        objectId: result.caseId,
        details: { origin: result.origin },
      });
    }
    return result;
  });
}

async function pickNextCase(trx: DB, userId: number, now: Date): Promise<NextCaseResult> {
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
  db: DB,
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
  trx: DB,
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
  trx: DB,
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
  db: DB,
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
  db: DB,
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
