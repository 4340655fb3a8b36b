import { sql } from "kysely";
import type { DB } from "../../../db/connection";
import { inTransaction as withTransaction } from "../../../db/transaction";
import { type AuditActor, writeAudit } from "../audit/audit.server";
import { type AgentPresence, CASE_TYPES, type CaseType } from "./case";
import { routeForAgent } from "./case-routing.server";
import { HelplineError } from "./errors";
import { recomputeSlaForType, type SlaDeps } from "./sla.server";

/** Supervisor set-up of the helpline: queues, routing rules, agents and skills, SLAs, macros. */

export interface RoutingSetup {
  queues: Array<{ id: number; code: string; name: string; isEscalation: boolean; waiting: number }>;
  rules: Array<{
    id: number;
    caseType: CaseType | null;
    department: string | null;
    queueId: number;
    priority: number;
  }>;
  agents: Array<{
    userId: number;
    name: string;
    email: string;
    capacity: number;
    presence: AgentPresence;
    skills: number[];
    load: number;
  }>;
  /** Helpline users without an agent profile yet. */
  candidates: Array<{ userId: number; name: string; email: string }>;
  slas: Array<{ caseType: CaseType; targetMinutes: number | null; warnPct: number }>;
}

export async function loadRoutingSetup(db: DB): Promise<RoutingSetup> {
  const [queues, rules, agents, skills, loads, candidates, slas] = await Promise.all([
    sql<{ id: number; code: string; name: string; is_escalation: boolean; waiting: number }>`
      SELECT q.id, q.code, q.name, q.is_escalation,
        (SELECT count(*) FROM helpline_case c WHERE c.queue_id = q.id AND c.assigned_user_id IS NULL AND c.state IN ('new','escalated'))::int AS waiting
      FROM helpline_queue q ORDER BY q.is_escalation, q.name
    `.execute(db),
    db
      .selectFrom("helpline_routing_rule")
      .select(["id", "case_type", "department", "queue_id", "priority"])
      .orderBy(sql`case_type NULLS LAST`)
      .orderBy(sql`department NULLS LAST`)
      .execute(),
    db
      .selectFrom("helpline_agent as a")
      .innerJoin("app_user as u", "u.id", "a.user_id")
      .select(["a.user_id", "u.display_name", "u.email", "a.capacity", "a.presence"])
      .orderBy("u.display_name")
      .execute(),
    db.selectFrom("helpline_agent_skill").select(["user_id", "queue_id"]).execute(),
    db
      .selectFrom("helpline_case")
      .select(["assigned_user_id", (eb) => eb.fn.countAll<number>().as("n")])
      .where("assigned_user_id", "is not", null)
      .where("state", "<>", "resolved")
      .groupBy("assigned_user_id")
      .execute(),
    db
      .selectFrom("app_user as u")
      .innerJoin("user_role as r", "r.user_id", "u.id")
      .select(["u.id", "u.display_name", "u.email"])
      .where("r.role", "in", ["helpline_agent", "helpline_supervisor"])
      .where("u.disabled_at", "is", null)
      .where((eb) =>
        eb.not(
          eb.exists(
            eb.selectFrom("helpline_agent as a").select("a.user_id").whereRef("a.user_id", "=", "u.id"),
          ),
        ),
      )
      .distinct()
      .orderBy("u.display_name")
      .execute(),
    db.selectFrom("helpline_sla").select(["case_type", "target_minutes", "warn_pct"]).execute(),
  ]);
  const loadOf = new Map(loads.map((l) => [Number(l.assigned_user_id), Number(l.n)]));
  const slaOf = new Map(slas.map((s) => [s.case_type, s]));
  return {
    queues: queues.rows.map((q) => ({
      id: q.id,
      code: q.code,
      name: q.name,
      isEscalation: q.is_escalation,
      waiting: q.waiting,
    })),
    rules: rules.map((r) => ({
      id: r.id,
      caseType: r.case_type,
      department: r.department,
      queueId: r.queue_id,
      priority: r.priority,
    })),
    agents: agents.map((a) => ({
      userId: a.user_id,
      name: a.display_name,
      email: a.email,
      capacity: a.capacity,
      presence: a.presence,
      skills: skills.filter((s) => s.user_id === a.user_id).map((s) => s.queue_id),
      load: loadOf.get(a.user_id) ?? 0,
    })),
    candidates: candidates.map((c) => ({ userId: c.id, name: c.display_name, email: c.email })),
    slas: CASE_TYPES.map((t) => ({
      caseType: t,
      targetMinutes: slaOf.get(t)?.target_minutes ?? null,
      warnPct: slaOf.get(t)?.warn_pct ?? 80,
    })),
  };
}

export async function createQueue(
  db: DB,
  actor: AuditActor,
  params: { code: string; name: string; isEscalation: boolean },
): Promise<number> {
  return withTransaction(db, async (trx) => {
    const clash = await trx
      .selectFrom("helpline_queue")
      .select(["code", "is_escalation"])
      .where((eb) =>
        eb.or([
          eb("code", "=", params.code),
          ...(params.isEscalation ? [eb("is_escalation", "=", true)] : []),
        ]),
      )
      .executeTakeFirst();
    if (clash?.code === params.code)
      throw new HelplineError("invalid", `Le code de file « ${params.code} » existe déjà.`, {
        field: "code",
      });
    if (clash)
      throw new HelplineError("invalid", "Une file d'escalade existe déjà (une seule possible).", {
        field: "isEscalation",
      });
    const { id } = await trx
      .insertInto("helpline_queue")
      .values({ code: params.code, name: params.name, is_escalation: params.isEscalation })
      .returning("id")
      .executeTakeFirstOrThrow();
    await writeAudit(trx, actor, {
      action: "helpline.queue_created",
      objectType: "helpline_queue",
      objectId: id,
      // `queueCode`, not `code`: the audit writer refuses a bare "code" key (a provisional code's name).
      details: { queueCode: params.code, name: params.name, isEscalation: params.isEscalation },
    });
    return id;
  });
}

/** A rule per (case type, department) pair: saving an existing pair replaces its queue and priority. */
export async function saveRule(
  db: DB,
  actor: AuditActor,
  params: { caseType: CaseType | null; department: string | null; queueId: number; priority: number },
): Promise<void> {
  await withTransaction(db, async (trx) => {
    const queue = await trx
      .selectFrom("helpline_queue")
      .select("id")
      .where("id", "=", params.queueId)
      .executeTakeFirst();
    if (!queue) throw new HelplineError("invalid", "file inconnue");
    await sql`
      INSERT INTO helpline_routing_rule (case_type, department, queue_id, priority, updated_by)
      VALUES (${params.caseType}, ${params.department}, ${params.queueId}, ${params.priority}, ${actor.userId})
      ON CONFLICT ((coalesce(case_type, '*')), (coalesce(department, '*')))
      DO UPDATE SET queue_id = EXCLUDED.queue_id, priority = EXCLUDED.priority, updated_by = EXCLUDED.updated_by
    `.execute(trx);
    await writeAudit(trx, actor, {
      action: "helpline.rule_saved",
      objectType: "helpline_routing_rule",
      details: params,
    });
  });
}

export async function deleteRule(db: DB, actor: AuditActor, ruleId: number): Promise<void> {
  await withTransaction(db, async (trx) => {
    const deleted = await trx
      .deleteFrom("helpline_routing_rule")
      .where("id", "=", ruleId)
      .returningAll()
      .executeTakeFirst();
    if (!deleted) throw new HelplineError("not_found", "règle introuvable");
    await writeAudit(trx, actor, {
      action: "helpline.rule_deleted",
      objectType: "helpline_routing_rule",
      objectId: ruleId,
      details: { caseType: deleted.case_type, department: deleted.department, queueId: deleted.queue_id },
    });
  });
}

/** Creates or updates an agent profile (capacity, skills); new skills or capacity may route waiting cases. */
export async function saveAgent(
  db: DB,
  actor: AuditActor,
  params: { userId: number; capacity: number; skills: number[] },
): Promise<void> {
  await withTransaction(db, async (trx) => {
    const user = await trx
      .selectFrom("app_user")
      .select("id")
      .where("id", "=", params.userId)
      .executeTakeFirst();
    if (!user) throw new HelplineError("not_found", "utilisateur inconnu");
    await trx
      .insertInto("helpline_agent")
      .values({ user_id: params.userId, capacity: params.capacity })
      .onConflict((oc) => oc.column("user_id").doUpdateSet({ capacity: params.capacity }))
      .execute();
    await trx.deleteFrom("helpline_agent_skill").where("user_id", "=", params.userId).execute();
    if (params.skills.length) {
      await trx
        .insertInto("helpline_agent_skill")
        .values(params.skills.map((queueId) => ({ user_id: params.userId, queue_id: queueId })))
        .execute();
    }
    await writeAudit(trx, actor, {
      action: "helpline.agent_saved",
      objectType: "helpline_agent",
      objectId: params.userId,
      details: { capacity: params.capacity, skills: params.skills },
    });
  });
  if (!db.isTransaction) await routeForAgent(db, params.userId);
}

/** A new SLA for a case type: every open case of that type gets new deadlines (and jobs). */
export async function saveSla(
  db: DB,
  deps: SlaDeps,
  actor: AuditActor,
  params: { caseType: CaseType; targetMinutes: number; warnPct: number },
): Promise<number> {
  await withTransaction(db, async (trx) => {
    await trx
      .insertInto("helpline_sla")
      .values({ case_type: params.caseType, target_minutes: params.targetMinutes, warn_pct: params.warnPct })
      .onConflict((oc) =>
        oc.column("case_type").doUpdateSet({
          target_minutes: params.targetMinutes,
          warn_pct: params.warnPct,
          updated_at: new Date(),
        }),
      )
      .execute();
    await writeAudit(trx, actor, {
      action: "helpline.sla_saved",
      objectType: "helpline_sla",
      objectId: params.caseType,
      details: params,
    });
  });
  return recomputeSlaForType(db, deps, params.caseType);
}

export interface Macro {
  id: number;
  title: string;
  body: string;
  caseType: CaseType | null;
}

export async function listMacros(db: DB): Promise<Macro[]> {
  const rows = await db
    .selectFrom("helpline_macro")
    .select(["id", "title", "body", "case_type"])
    .where("archived_at", "is", null)
    .orderBy("title")
    .execute();
  return rows.map((r) => ({ id: r.id, title: r.title, body: r.body, caseType: r.case_type }));
}

export async function saveMacro(
  db: DB,
  actor: AuditActor,
  params: { id?: number | null; title: string; body: string; caseType: CaseType | null },
): Promise<number> {
  return withTransaction(db, async (trx) => {
    let id = params.id ?? null;
    if (id) {
      const updated = await trx
        .updateTable("helpline_macro")
        .set({
          title: params.title,
          body: params.body,
          case_type: params.caseType,
          updated_at: new Date(),
          updated_by: actor.userId,
        })
        .where("id", "=", id)
        .where("archived_at", "is", null)
        .executeTakeFirst();
      if (Number(updated.numUpdatedRows) === 0)
        throw new HelplineError("not_found", "réponse type introuvable");
    } else {
      id = (
        await trx
          .insertInto("helpline_macro")
          .values({
            title: params.title,
            body: params.body,
            case_type: params.caseType,
            updated_by: actor.userId,
          })
          .returning("id")
          .executeTakeFirstOrThrow()
      ).id;
    }
    await writeAudit(trx, actor, {
      action: "helpline.macro_saved",
      objectType: "helpline_macro",
      objectId: id,
      details: { title: params.title },
    });
    return id;
  });
}

export async function archiveMacro(db: DB, actor: AuditActor, id: number): Promise<void> {
  await withTransaction(db, async (trx) => {
    const archived = await trx
      .updateTable("helpline_macro")
      .set({ archived_at: new Date() })
      .where("id", "=", id)
      .where("archived_at", "is", null)
      .executeTakeFirst();
    // An unknown or already archived template is refused, so the audit never records an archive that did not happen.
    if (Number(archived.numUpdatedRows) === 0)
      throw new HelplineError("not_found", "réponse type introuvable");
    await writeAudit(trx, actor, {
      action: "helpline.macro_archived",
      objectType: "helpline_macro",
      objectId: id,
    });
  });
}
