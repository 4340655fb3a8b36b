import { type Kysely, sql } from "kysely";
import type { CaseType } from "../../app/domain/helpline/case";
import { slaDeadlines } from "../../app/domain/helpline/sla";
import type { Database } from "../../db/schema";
import type { Seeder } from "./seeder";
import { createUser, DEMO_PASSWORD } from "./users";

/**
 * Helpline demo data (all marked « démo »): queues, routing rules, SLAs, canned answers, agent profiles
 * for the demo helpline users plus three more demo agents, and a few cases. `setupHelplineDefaults` is also
 * what tests and the bench use for queues, rules and SLAs.
 */

export const DEFAULT_QUEUES = [
  { code: "GEN", name: "Accueil général", isEscalation: false },
  { code: "OPP", name: "Oppositions et clôtures", isEscalation: false },
  { code: "CODE", name: "Codes et courriers", isEscalation: false },
  { code: "SUP", name: "Supervision (escalades)", isEscalation: true },
] as const;
export type QueueCode = (typeof DEFAULT_QUEUES)[number]["code"];

const DEFAULT_RULES: Array<{
  caseType: CaseType | null;
  department: string | null;
  queue: QueueCode;
  priority: number;
}> = [
  { caseType: null, department: null, queue: "GEN", priority: 3 },
  { caseType: "opposition", department: null, queue: "OPP", priority: 1 },
  { caseType: "closure", department: null, queue: "OPP", priority: 2 },
  { caseType: "code_reset", department: null, queue: "CODE", priority: 2 },
  { caseType: "letter_not_received", department: null, queue: "CODE", priority: 2 },
  { caseType: "data_request", department: null, queue: "GEN", priority: 4 },
  // Pilot department: activation help goes first there.
  { caseType: "activation_help", department: "31", queue: "GEN", priority: 2 },
];

/** Working minutes (a working day is 9 h). */
export const DEFAULT_SLAS: Record<CaseType, number> = {
  opposition: 240,
  code_reset: 540,
  letter_not_received: 1080,
  activation_help: 1080,
  closure: 1080,
  data_request: 2700,
  other: 1080,
};

const DEMO_MACROS: Array<{ title: string; body: string; caseType: CaseType | null }> = [
  {
    title: "Opposition enregistrée (démo)",
    body: "Votre opposition à la création de Mon espace santé est enregistrée ce jour. Vous recevrez une confirmation par e-mail ou par courrier. Vous pourrez toujours changer d'avis et activer votre espace plus tard.",
    caseType: "opposition",
  },
  {
    title: "Nouveau code envoyé (démo)",
    body: "Un nouveau code provisoire vient de vous être envoyé ; l'ancien ne fonctionne plus. Pour des raisons de sécurité, je ne peux pas vous le communiquer par téléphone.",
    caseType: "code_reset",
  },
  {
    title: "Courrier non reçu (démo)",
    body: "Les courriers sont envoyés par vagues jusqu'à la fin de la campagne. Je vérifie votre adresse et peux vous renvoyer la notification par e-mail ou par courrier.",
    caseType: "letter_not_received",
  },
  {
    title: "Activation : carte Vitale (démo)",
    body: "Pour activer votre espace, munissez-vous de votre carte Vitale et du code provisoire, puis rendez-vous sur monespacesante.fr, rubrique « Activer mon espace ».",
    caseType: "activation_help",
  },
];

const EXTRA_AGENTS = [
  {
    email: "agent.nadia@demo.mes-ops.fr",
    name: "Nadia Conseillère (démo)",
    skills: ["GEN", "CODE"] as QueueCode[],
    presence: "available" as const,
  },
  {
    email: "agent.paul@demo.mes-ops.fr",
    name: "Paul Conseiller (démo)",
    skills: ["GEN", "OPP"] as QueueCode[],
    presence: "busy" as const,
  },
  {
    email: "agent.ines@demo.mes-ops.fr",
    name: "Inès Conseillère (démo)",
    skills: ["CODE", "OPP"] as QueueCode[],
    presence: "away" as const,
  },
];

/** Queues, rules and SLAs (idempotent). Returns queue ids by code. */
export async function setupHelplineDefaults(db: Kysely<Database>): Promise<Record<QueueCode, number>> {
  for (const q of DEFAULT_QUEUES) {
    await db
      .insertInto("helpline_queue")
      .values({ code: q.code, name: q.name, is_escalation: q.isEscalation })
      .onConflict((oc) => oc.column("code").doNothing())
      .execute();
  }
  const rows = await db.selectFrom("helpline_queue").select(["id", "code"]).execute();
  const ids = Object.fromEntries(rows.map((r) => [r.code, r.id])) as Record<QueueCode, number>;
  for (const r of DEFAULT_RULES) {
    await sql`
      INSERT INTO helpline_routing_rule (case_type, department, queue_id, priority)
      VALUES (${r.caseType}, ${r.department}, ${ids[r.queue]}, ${r.priority})
      ON CONFLICT ((coalesce(case_type, '*')), (coalesce(department, '*'))) DO NOTHING
    `.execute(db);
  }
  for (const [caseType, target] of Object.entries(DEFAULT_SLAS)) {
    await db
      .insertInto("helpline_sla")
      .values({ case_type: caseType as CaseType, target_minutes: target })
      .onConflict((oc) => oc.column("case_type").doNothing())
      .execute();
  }
  return ids;
}

export async function addAgent(
  db: Kysely<Database>,
  params: { userId: number; capacity: number; presence: "available" | "busy" | "away"; queueIds: number[] },
): Promise<void> {
  await db
    .insertInto("helpline_agent")
    .values({ user_id: params.userId, capacity: params.capacity, presence: params.presence })
    .onConflict((oc) => oc.column("user_id").doNothing())
    .execute();
  if (params.queueIds.length) {
    await db
      .insertInto("helpline_agent_skill")
      .values(params.queueIds.map((queue_id) => ({ user_id: params.userId, queue_id })))
      .onConflict((oc) => oc.doNothing())
      .execute();
  }
}

export const helplineSeeder: Seeder = {
  name: "demo-helpline",
  async run(db) {
    const q = await setupHelplineDefaults(db);
    for (const m of DEMO_MACROS) {
      await db
        .insertInto("helpline_macro")
        .values({ title: m.title, body: m.body, case_type: m.caseType })
        .execute();
    }
    const userId = async (email: string) =>
      (await db.selectFrom("app_user").select("id").where(sql`lower(email)`, "=", email).executeTakeFirst())
        ?.id;
    const agent = await userId("conseiller@demo.mes-ops.fr");
    if (agent)
      await addAgent(db, {
        userId: agent,
        capacity: 3,
        presence: "available",
        queueIds: [q.GEN, q.OPP, q.CODE],
      });
    const supervisor = await userId("superviseur@demo.mes-ops.fr");
    if (supervisor) {
      await addAgent(db, {
        userId: supervisor,
        capacity: 5,
        presence: "available",
        queueIds: [q.SUP, q.GEN, q.OPP, q.CODE],
      });
    }
    for (const a of EXTRA_AGENTS) {
      const id =
        (await userId(a.email)) ??
        (await createUser(db, {
          email: a.email,
          name: a.name,
          password: DEMO_PASSWORD,
          roles: ["helpline_agent"],
        }));
      await addAgent(db, {
        userId: id,
        capacity: 3,
        presence: a.presence,
        queueIds: a.skills.map((c) => q[c]),
      });
    }
    // A few waiting cases (routing picks them up on its first run), as the telephony server would open them.
    const now = new Date();
    const demoCases: Array<{
      type: CaseType;
      queue: QueueCode;
      priority: number;
      department: string;
      minutesAgo: number;
    }> = [
      { type: "opposition", queue: "OPP", priority: 1, department: "31", minutesAgo: 12 },
      { type: "code_reset", queue: "CODE", priority: 2, department: "44", minutesAgo: 30 },
      { type: "letter_not_received", queue: "CODE", priority: 2, department: "80", minutesAgo: 55 },
      { type: "activation_help", queue: "GEN", priority: 2, department: "31", minutesAgo: 80 },
      { type: "data_request", queue: "GEN", priority: 4, department: "75", minutesAgo: 140 },
    ];
    for (const [i, c] of demoCases.entries()) {
      const createdAt = new Date(now.getTime() - c.minutesAgo * 60_000);
      const target = DEFAULT_SLAS[c.type];
      const { warnAt, dueAt } = slaDeadlines({
        targetMinutes: target,
        warnPct: 80,
        consumedMinutes: 0,
        startedAt: createdAt,
      });
      const { id } = await db
        .insertInto("helpline_case")
        .values({
          type: c.type,
          origin: "telephony",
          queue_id: q[c.queue],
          priority: c.priority,
          department: c.department,
          caller_number: `+33 6 00 00 00 ${String(10 + i)}`,
          ivr_choice: null,
          subject: "Appel de démonstration",
          created_at: createdAt,
          updated_at: createdAt,
          sla_target_minutes: target,
          sla_clock_started_at: createdAt,
          sla_warn_at: warnAt,
          sla_due_at: dueAt,
        })
        .returning("id")
        .executeTakeFirstOrThrow();
      await db
        .insertInto("helpline_case_history")
        .values({
          case_id: id,
          at: createdAt,
          kind: "created",
          to_value: "new",
          details: JSON.stringify({ demo: true }),
        })
        .execute();
    }
  },
};
