import type PgBoss from "pg-boss";
import type { DB } from "../../../db/connection";
import { inTransaction as withTransaction } from "../../../db/transaction";
import { type AuditActor, writeAudit } from "../audit/audit.server";
import { claimCase } from "./agent-commands.server";
import { CASE_STATE_LABELS, type CaseState, type CaseType, MANUAL_STATE_CHANGES } from "./case";
import { resolveQueue, routeForAgent, routeWaitingCases } from "./case-routing.server";
import { HelplineError } from "./errors";
import { recordHistory } from "./history.server";
import { pauseClock, resumeClock, type SlaClock } from "./sla";
import { armSla } from "./sla.server";

/** What the case use cases need besides the database: the job client (SLA jobs are scheduled in the same transaction). */
export interface HelplineDeps {
  boss: PgBoss;
}

export interface NewCase {
  type: CaseType;
  origin: "telephony" | "agent";
  department?: string | null;
  callerNumber?: string | null;
  ivrChoice?: string | null;
  subject?: string | null;
  externalCallId?: string | null;
  createdBy?: number | null;
  at?: Date;
  /** Opened by an agent during a call: the agent keeps it (if under capacity) instead of routing. */
  claimedBy?: number | null;
}

/**
 * Opens a case in the queue its rules give, starts its SLA clock and routes it. Idempotent on the
 * telephony call id: the same call posted twice gives the same case.
 */
export async function createCase(
  db: DB,
  deps: HelplineDeps,
  actor: AuditActor,
  input: NewCase,
): Promise<{ caseId: number; created: boolean }> {
  const now = input.at ?? new Date();
  const result = await withTransaction(db, async (trx) => {
    if (input.externalCallId) {
      const existing = await trx
        .selectFrom("helpline_case")
        .select("id")
        .where("external_call_id", "=", input.externalCallId)
        .executeTakeFirst();
      if (existing) return { caseId: existing.id, created: false };
    }
    const route = await resolveQueue(trx, { type: input.type, department: input.department ?? null });
    const sla = await trx
      .selectFrom("helpline_sla")
      .select("target_minutes")
      .where("case_type", "=", input.type)
      .executeTakeFirst();
    const inserted = await trx
      .insertInto("helpline_case")
      .values({
        type: input.type,
        origin: input.origin,
        external_call_id: input.externalCallId ?? null,
        queue_id: route.queueId,
        priority: route.priority,
        department: input.department ?? null,
        caller_number: input.callerNumber ?? null,
        ivr_choice: input.ivrChoice ?? null,
        subject: input.subject ?? null,
        created_by: input.createdBy ?? null,
        created_at: now,
        updated_at: now,
        sla_target_minutes: sla?.target_minutes ?? null,
        sla_clock_started_at: now,
      })
      .onConflict((oc) => oc.column("external_call_id").doNothing())
      .returning("id")
      .executeTakeFirst();
    if (!inserted) {
      const again = await trx
        .selectFrom("helpline_case")
        .select("id")
        .where("external_call_id", "=", input.externalCallId ?? "")
        .executeTakeFirstOrThrow();
      return { caseId: again.id, created: false };
    }
    await recordHistory(trx, [
      {
        caseId: inserted.id,
        kind: "created",
        actorUserId: input.createdBy ?? null,
        to: "new",
        at: now,
        details: { type: input.type, origin: input.origin, queueId: route.queueId, ruleId: route.ruleId },
      },
    ]);
    await armSla(trx, deps, { caseId: inserted.id, now });
    await writeAudit(trx, actor, {
      action: "helpline.case_created",
      objectType: "helpline_case",
      objectId: inserted.id,
      details: { type: input.type, origin: input.origin, queueId: route.queueId },
    });
    return { caseId: inserted.id, created: true };
  });
  if (result.created && !db.isTransaction) {
    const claimed = input.claimedBy
      ? await claimCase(db, { userId: input.claimedBy, caseId: result.caseId })
      : false;
    if (!claimed) await routeWaitingCases(db, { caseIds: [result.caseId] });
  }
  return result;
}

export interface CaseActor {
  userId: number;
  /** Supervisors (cases:route) may act on any case; agents only on their own. */
  mayRoute: boolean;
}

/** Locks a case the actor may work on. */
export async function lockOwnCase(trx: DB, actor: CaseActor, caseId: number) {
  const c = await trx
    .selectFrom("helpline_case")
    .selectAll()
    .where("id", "=", caseId)
    .forUpdate()
    .executeTakeFirst();
  if (!c) throw new HelplineError("not_found", "dossier introuvable");
  if (c.assigned_user_id !== actor.userId && !actor.mayRoute) {
    throw new HelplineError(
      "not_yours",
      "ce dossier n'est pas affecté à vous : prenez-le par « Dossier suivant »",
    );
  }
  return c;
}

/**
 * A state change made by the agent: waiting for the caller pauses the SLA clock, coming back resumes it,
 * resolving stops it and frees a slot (routing fills it at once).
 */
export async function changeCaseState(
  db: DB,
  deps: HelplineDeps,
  actor: AuditActor,
  params: { caseActor: CaseActor; caseId: number; to: CaseState; comment?: string | null; now?: Date },
): Promise<void> {
  const now = params.now ?? new Date();
  const freed = await withTransaction(db, async (trx) => {
    const c = await lockOwnCase(trx, params.caseActor, params.caseId);
    if (c.state === params.to) return null;
    if (!MANUAL_STATE_CHANGES[c.state].includes(params.to)) {
      throw new HelplineError(
        "refused",
        `passage de « ${CASE_STATE_LABELS[c.state]} » à « ${CASE_STATE_LABELS[params.to]} » impossible`,
      );
    }
    if (c.state !== "new" && c.assigned_user_id == null) {
      throw new HelplineError("refused", "dossier non affecté : prenez-le d'abord");
    }
    const clock: SlaClock = {
      targetMinutes: c.sla_target_minutes ?? 0,
      warnPct: 80,
      consumedMinutes: c.sla_consumed_minutes,
      startedAt: c.sla_clock_started_at,
    };
    let next = clock;
    if (params.to === "waiting_callback" || params.to === "resolved") next = pauseClock(clock, now);
    else if (c.state === "waiting_callback") next = resumeClock(clock, now);
    await trx
      .updateTable("helpline_case")
      .set({
        state: params.to,
        updated_at: now,
        sla_consumed_minutes: next.consumedMinutes,
        sla_clock_started_at: next.startedAt,
        ...(params.to === "resolved"
          ? { resolved_at: now, resolved_by: params.caseActor.userId, sla_warn_at: null, sla_due_at: null }
          : {}),
      })
      .where("id", "=", c.id)
      .execute();
    await recordHistory(trx, [
      {
        caseId: c.id,
        kind: "state",
        actorUserId: params.caseActor.userId,
        from: c.state,
        to: params.to,
        at: now,
        details: params.comment ? { comment: params.comment } : {},
      },
    ]);
    if (next !== clock) await armSla(trx, deps, { caseId: c.id, now });
    await writeAudit(trx, actor, {
      action: "helpline.case_state_changed",
      objectType: "helpline_case",
      objectId: c.id,
      details: { from: c.state, to: params.to },
    });
    return params.to === "resolved" ? c.assigned_user_id : null;
  });
  if (freed != null && !db.isTransaction) await routeForAgent(db, freed);
}

/** A new type: the queue and priority follow the rules, the SLA is recomputed for the new type. */
export async function changeCaseType(
  db: DB,
  deps: HelplineDeps,
  actor: AuditActor,
  params: { caseActor: CaseActor; caseId: number; type: CaseType; now?: Date },
): Promise<void> {
  const now = params.now ?? new Date();
  await withTransaction(db, async (trx) => {
    const c = await lockOwnCase(trx, params.caseActor, params.caseId);
    if (c.state === "resolved")
      throw new HelplineError("refused", "dossier résolu : il ne peut plus changer de motif");
    if (c.type === params.type) return;
    const route = await resolveQueue(trx, { type: params.type, department: c.department });
    const escalated = c.state === "escalated";
    await trx
      .updateTable("helpline_case")
      .set({
        type: params.type,
        updated_at: now,
        ...(escalated ? {} : { queue_id: route.queueId, priority: route.priority }),
      })
      .where("id", "=", c.id)
      .execute();
    await recordHistory(trx, [
      {
        caseId: c.id,
        kind: "type",
        actorUserId: params.caseActor.userId,
        from: c.type,
        to: params.type,
        at: now,
      },
      ...(escalated || c.queue_id === route.queueId
        ? []
        : [
            {
              caseId: c.id,
              kind: "queue" as const,
              actorUserId: params.caseActor.userId,
              from: c.queue_id,
              to: route.queueId,
              at: now,
            },
          ]),
    ]);
    await armSla(trx, deps, { caseId: c.id, now, resetTarget: true });
    await writeAudit(trx, actor, {
      action: "helpline.case_type_changed",
      objectType: "helpline_case",
      objectId: c.id,
      details: { from: c.type, to: params.type },
    });
  });
}

export async function addCaseNote(
  db: DB,
  actor: AuditActor,
  params: { caseActor: CaseActor; caseId: number; text: string; macroId?: number | null },
): Promise<void> {
  await withTransaction(db, async (trx) => {
    const c = await lockOwnCase(trx, params.caseActor, params.caseId);
    await recordHistory(trx, [
      {
        caseId: c.id,
        kind: "note",
        actorUserId: params.caseActor.userId,
        details: { text: params.text, macroId: params.macroId ?? null },
      },
    ]);
    await writeAudit(trx, actor, {
      action: "helpline.case_note_added",
      objectType: "helpline_case",
      objectId: c.id,
      details: { length: params.text.length, macroId: params.macroId ?? null },
    });
  });
}
