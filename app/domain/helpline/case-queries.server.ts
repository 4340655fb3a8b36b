import { sql } from "kysely";
import type { DB } from "../../../db/connection";
import type { PersonState } from "../../../db/schema";
import { activeCodeOf, lastSpentCodeOf } from "../codes/codes.server";
import { formatNir, maskNir } from "../persons/nir";
import { hasUsableEmail } from "../waves/channel";
import type { AgentPresence, CaseState, CaseSummary, CaseType, SlaStatus } from "./case";
import { resetsLeft } from "./code-reset.server";

function summaryQuery(db: DB) {
  return db
    .selectFrom("helpline_case as c")
    .innerJoin("helpline_queue as q", "q.id", "c.queue_id")
    .leftJoin("person as p", "p.id", "c.person_id")
    .leftJoin("app_user as u", "u.id", "c.assigned_user_id")
    .select([
      "c.id",
      "c.type",
      "c.state",
      "q.name as queue_name",
      "c.priority",
      "c.department",
      "c.created_at",
      "c.sla_status",
      "c.sla_due_at",
      sql<string | null>`p.first_name || ' ' || p.last_name`.as("person_name"),
      "u.display_name as assigned_name",
    ]);
}

function toSummary(r: {
  id: number;
  type: CaseType;
  state: CaseState;
  queue_name: string;
  priority: number;
  department: string | null;
  created_at: Date;
  sla_status: SlaStatus;
  sla_due_at: Date | null;
  person_name: string | null;
  assigned_name: string | null;
}): CaseSummary {
  return {
    id: r.id,
    type: r.type,
    state: r.state,
    queueName: r.queue_name,
    priority: r.priority,
    department: r.department,
    createdAt: r.created_at.toISOString(),
    slaStatus: r.sla_status,
    slaDueAt: r.sla_due_at?.toISOString() ?? null,
    personName: r.person_name,
    assignedName: r.assigned_name,
  };
}

export interface ConsoleData {
  agent: { presence: AgentPresence; capacity: number } | null;
  myCases: CaseSummary[];
  waitingInMyQueues: number;
  recentlyResolved: CaseSummary[];
}

export async function loadConsole(db: DB, userId: number): Promise<ConsoleData> {
  const [agent, mine, waiting, resolved] = await Promise.all([
    db
      .selectFrom("helpline_agent")
      .select(["presence", "capacity"])
      .where("user_id", "=", userId)
      .executeTakeFirst(),
    summaryQuery(db)
      .where("c.assigned_user_id", "=", userId)
      .where("c.state", "<>", "resolved")
      .orderBy("c.priority")
      .orderBy("c.created_at")
      .limit(100)
      .execute(),
    sql<{ n: number }>`
      SELECT count(*)::int AS n FROM helpline_case c
      WHERE c.assigned_user_id IS NULL AND c.state IN ('new','escalated')
        AND c.queue_id IN (SELECT queue_id FROM helpline_agent_skill WHERE user_id = ${userId})
    `.execute(db),
    summaryQuery(db)
      .where("c.resolved_by", "=", userId)
      .where("c.state", "=", "resolved")
      .orderBy("c.resolved_at", "desc")
      .limit(10)
      .execute(),
  ]);
  return {
    agent: agent ? { presence: agent.presence, capacity: agent.capacity } : null,
    myCases: mine.map(toSummary),
    waitingInMyQueues: waiting.rows[0]?.n ?? 0,
    recentlyResolved: resolved.map(toSummary),
  };
}

export interface CaseDetail extends CaseSummary {
  access: CaseAccess;
  origin: string;
  callerNumber: string | null;
  ivrChoice: string | null;
  subject: string | null;
  assignedUserId: number | null;
  slaWarnAt: string | null;
  slaTargetMinutes: number | null;
  slaConsumedMinutes: number;
  slaClockStartedAt: string | null;
  person: {
    id: number;
    nirDisplay: string;
    firstName: string;
    lastName: string;
    birthDate: string;
    postalCode: string | null;
    city: string | null;
    state: PersonState;
    hasEmail: boolean;
    hasMobile: boolean;
    hasAddress: boolean;
    windowEndsAt: string | null;
    activeCode: { createdAt: string; expiresAt: string } | null;
    /** When no code is active: the latest one used or revoked (and why), so the panel can say so. */
    spentCode: { usedAt: string | null; revokedAt: string | null; revokedReason: string | null } | null;
    resetsLeft: number;
  } | null;
  identityChecked: boolean;
  history: Array<{
    id: number;
    at: string;
    kind: string;
    from: string | null;
    to: string | null;
    actor: string | null;
    details: Record<string, unknown>;
  }>;
  decisions: Array<{ id: number; at: string; mode: string; agent: string | null; reason: string }>;
}

/** Who opens a case page, as the domain sees them. */
export interface CaseViewer {
  userId: number;
  /** Supervisors (cases:route) see every case in full. */
  mayRoute: boolean;
  showNir: boolean;
}

/**
 * How much of a case a viewer may see: "full" for a supervisor and for the agent the case is assigned to
 * (or who resolved it); "outline" (type, state, queue, SLA, history without details — never the caller)
 * for another case of a queue the agent serves; null for any other case, as for one that does not exist,
 * so that an agent cannot read another queue's cases by changing the id in the address.
 */
export async function caseAccess(
  db: DB,
  viewer: CaseViewer,
  c: { queue_id: number; assigned_user_id: number | null; resolved_by: number | null },
): Promise<CaseAccess | null> {
  if (viewer.mayRoute || c.assigned_user_id === viewer.userId || c.resolved_by === viewer.userId)
    return "full";
  const serves = await db
    .selectFrom("helpline_agent_skill")
    .select("queue_id")
    .where("user_id", "=", viewer.userId)
    .where("queue_id", "=", c.queue_id)
    .executeTakeFirst();
  return serves ? "outline" : null;
}

export type CaseAccess = "full" | "outline";

/** The case as `viewer` may see it (see `caseAccess`); null when it does not exist or is not theirs to see. */
export async function loadCase(db: DB, caseId: number, viewer: CaseViewer): Promise<CaseDetail | null> {
  const found = await summaryQuery(db)
    .select([
      "c.queue_id",
      "c.resolved_by",
      "c.origin",
      "c.caller_number",
      "c.ivr_choice",
      "c.subject",
      "c.assigned_user_id",
      "c.person_id",
      "c.sla_warn_at",
      "c.sla_target_minutes",
      "c.sla_consumed_minutes",
      "c.sla_clock_started_at",
    ])
    .where("c.id", "=", caseId)
    .executeTakeFirst();
  if (!found) return null;
  const access = await caseAccess(db, viewer, found);
  if (!access) return null;
  // The outline carries nothing of the caller: no person, name, number, subject nor history details.
  const row =
    access === "full"
      ? found
      : {
          ...found,
          person_id: null,
          person_name: null,
          caller_number: null,
          ivr_choice: null,
          subject: null,
        };
  const [history, decisions, person, check] = await Promise.all([
    db
      .selectFrom("helpline_case_history as h")
      .leftJoin("app_user as u", "u.id", "h.actor_user_id")
      .select(["h.id", "h.at", "h.kind", "h.from_value", "h.to_value", "h.details", "u.display_name"])
      .where("h.case_id", "=", caseId)
      .orderBy("h.at", "desc")
      .orderBy("h.id", "desc")
      .limit(200)
      .execute(),
    db
      .selectFrom("helpline_routing_decision as d")
      .leftJoin("app_user as u", "u.id", "d.agent_user_id")
      .select(["d.id", "d.at", "d.mode", "d.reason", "u.display_name"])
      .where("d.case_id", "=", caseId)
      .orderBy("d.at", "desc")
      .orderBy("d.id", "desc")
      .limit(50)
      .execute(),
    row.person_id
      ? db
          .selectFrom("person")
          .select([
            "id",
            "nir",
            "first_name",
            "last_name",
            sql<string>`to_char(birth_date, 'YYYY-MM-DD')`.as("birth_date"),
            "postal_code",
            "city",
            "state",
            "email",
            "email_bounced_at",
            "phone",
            "address_line",
            "window_ends_at",
          ])
          .where("id", "=", row.person_id)
          .executeTakeFirst()
      : Promise.resolve(undefined),
    row.person_id
      ? db
          .selectFrom("helpline_identity_check")
          .select("id")
          .where("case_id", "=", caseId)
          .where("person_id", "=", row.person_id)
          .where("user_id", "=", viewer.userId)
          .executeTakeFirst()
      : Promise.resolve(undefined),
  ]);
  let personOut: CaseDetail["person"] = null;
  if (person) {
    const [code, spent, left] = await Promise.all([
      activeCodeOf(db, person.id),
      lastSpentCodeOf(db, person.id),
      resetsLeft(db, { personId: person.id }),
    ]);
    personOut = {
      id: person.id,
      nirDisplay: viewer.showNir ? formatNir(person.nir) : maskNir(person.nir),
      firstName: person.first_name,
      lastName: person.last_name,
      birthDate: person.birth_date,
      postalCode: person.postal_code,
      city: person.city,
      state: person.state,
      hasEmail: hasUsableEmail(person),
      hasMobile: Boolean(person.phone && /^(\+33|0)[67]/.test(person.phone.replace(/\s/g, ""))),
      hasAddress: Boolean(person.address_line && person.postal_code),
      windowEndsAt: person.window_ends_at?.toISOString() ?? null,
      activeCode: code
        ? { createdAt: code.createdAt.toISOString(), expiresAt: code.expiresAt.toISOString() }
        : null,
      spentCode:
        spent && !code
          ? {
              usedAt: spent.usedAt?.toISOString() ?? null,
              revokedAt: spent.revokedAt?.toISOString() ?? null,
              revokedReason: spent.revokedReason,
            }
          : null,
      resetsLeft: left,
    };
  }
  return {
    ...toSummary(row),
    origin: row.origin,
    callerNumber: row.caller_number,
    ivrChoice: row.ivr_choice,
    subject: row.subject,
    assignedUserId: row.assigned_user_id,
    slaWarnAt: row.sla_warn_at?.toISOString() ?? null,
    slaTargetMinutes: row.sla_target_minutes,
    slaConsumedMinutes: row.sla_consumed_minutes,
    slaClockStartedAt: row.sla_clock_started_at?.toISOString() ?? null,
    access,
    person: personOut,
    identityChecked: Boolean(check),
    history: history.map((h) => ({
      id: h.id,
      at: h.at.toISOString(),
      kind: h.kind,
      from: h.from_value,
      to: h.to_value,
      actor: h.display_name,
      details: access === "full" ? ((h.details ?? {}) as Record<string, unknown>) : {},
    })),
    decisions: decisions.map((d) => ({
      id: d.id,
      at: d.at.toISOString(),
      mode: d.mode,
      agent: d.display_name,
      reason: d.reason,
    })),
  };
}

/** Agents a supervisor may hand a case to. */
export async function listAgents(db: DB) {
  return db
    .selectFrom("helpline_agent as a")
    .innerJoin("app_user as u", "u.id", "a.user_id")
    .select(["a.user_id", "u.display_name", "a.presence"])
    .orderBy("u.display_name")
    .execute();
}
