import { sql } from "kysely";
import type PgBoss from "pg-boss";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLogger } from "../../app/config/logger.server";
import { SYSTEM_ACTOR } from "../../app/domain/audit/audit.server";
import { setPresence, takeNextCase } from "../../app/domain/helpline/agent-commands.server";
import { routeAll } from "../../app/domain/helpline/case-routing.server";
import { changeCaseState, createCase } from "../../app/domain/helpline/cases.server";
import { archiveMacro, createQueue, saveMacro, saveSla } from "../../app/domain/helpline/setup.server";
import { applySlaDeadline, sweepSla } from "../../app/domain/helpline/sla.server";
import { parisInstant } from "../../app/domain/lifecycle/paris-time";
import { createBoss, startBoss } from "../../app/infra/job-client.server";
import { addAgent, setupHelplineDefaults } from "../../cli/seed/helpline";
import { createUser } from "../../cli/seed/users";
import { createDb } from "../../db/connection";
import { setupTestDatabase } from "../setup/database";

const t = setupTestDatabase();
let boss: PgBoss;
let queues: Awaited<ReturnType<typeof setupHelplineDefaults>>;
const actor = SYSTEM_ACTOR;

async function newAgent(
  n: number,
  opts: { capacity?: number; presence?: "available" | "busy" | "away"; queues: number[] },
) {
  const id = await createUser(t.db, {
    email: `agent${n}@test.fr`,
    name: `Agent ${n}`,
    password: "x-unused-x",
    roles: ["helpline_agent"],
  });
  await addAgent(t.db, {
    userId: id,
    capacity: opts.capacity ?? 3,
    presence: opts.presence ?? "available",
    queueIds: opts.queues,
  });
  return id;
}

beforeAll(async () => {
  boss = createBoss(t.url, createLogger({ level: "silent" }));
  await startBoss(boss);
  queues = await setupHelplineDefaults(t.db);
});
afterAll(async () => {
  await boss?.stop({ graceful: false, wait: true });
});

describe("helpline routing", () => {
  it("routes a new case to the skilled available agent idle the longest, and records why", async () => {
    const a = await newAgent(1, { queues: [queues.OPP] });
    const b = await newAgent(2, { queues: [queues.OPP] });
    await t.db
      .updateTable("helpline_agent")
      .set({ idle_since: new Date(Date.now() - 3600_000) })
      .where("user_id", "=", b)
      .execute();
    const { caseId } = await createCase(t.db, { boss }, actor, { type: "opposition", origin: "agent" });
    const row = await t.db
      .selectFrom("helpline_case")
      .selectAll()
      .where("id", "=", caseId)
      .executeTakeFirstOrThrow();
    expect(row).toMatchObject({ assigned_user_id: b, state: "assigned", queue_id: queues.OPP, priority: 1 });
    const decisions = await t.db
      .selectFrom("helpline_routing_decision")
      .selectAll()
      .where("case_id", "=", caseId)
      .execute();
    expect(decisions).toHaveLength(1);
    expect(decisions[0].reason).toContain("inactif depuis le plus longtemps");
    // The next one goes to the other agent (now idle the longest).
    const second = await createCase(t.db, { boss }, actor, { type: "opposition", origin: "agent" });
    const row2 = await t.db
      .selectFrom("helpline_case")
      .select("assigned_user_id")
      .where("id", "=", second.caseId)
      .executeTakeFirstOrThrow();
    expect(row2.assigned_user_id).toBe(a);
    // An SLA job was scheduled for the case inside the creation transaction.
    const jobs = await sql<{ data: { caseId: number; kind: string } }>`
      SELECT data FROM pgboss.job WHERE name = 'sla-deadline'
    `.execute(t.db);
    expect(
      jobs.rows
        .filter((j) => j.data.caseId === caseId)
        .map((j) => j.data.kind)
        .sort(),
    ).toEqual(["breach", "warn"]);
    await t.db.updateTable("helpline_agent").set({ presence: "away" }).execute();
    await t.db.updateTable("helpline_case").set({ state: "resolved", resolved_at: new Date() }).execute();
  });

  it("keeps a case waiting when nobody can take it, then routes it the moment an agent becomes available", async () => {
    const c = await newAgent(3, { presence: "away", queues: [queues.CODE], capacity: 1 });
    const { caseId } = await createCase(t.db, { boss }, actor, { type: "code_reset", origin: "telephony" });
    let row = await t.db
      .selectFrom("helpline_case")
      .selectAll()
      .where("id", "=", caseId)
      .executeTakeFirstOrThrow();
    expect(row.assigned_user_id).toBeNull();
    const waiting = await t.db
      .selectFrom("helpline_routing_decision")
      .select("reason")
      .where("case_id", "=", caseId)
      .execute();
    expect(waiting.map((w) => w.reason)).toEqual([
      "en attente : aucun conseiller compétent n'est disponible",
    ]);
    await setPresence(t.db, actor, { userId: c, presence: "available" });
    row = await t.db
      .selectFrom("helpline_case")
      .selectAll()
      .where("id", "=", caseId)
      .executeTakeFirstOrThrow();
    expect(row.assigned_user_id).toBe(c);
    // Capacity 1: a second case waits until the first is resolved, then goes to the agent at once.
    const next = await createCase(t.db, { boss }, actor, { type: "code_reset", origin: "telephony" });
    expect(
      (
        await t.db
          .selectFrom("helpline_case")
          .select("assigned_user_id")
          .where("id", "=", next.caseId)
          .executeTakeFirstOrThrow()
      ).assigned_user_id,
    ).toBeNull();
    await changeCaseState(t.db, { boss }, actor, {
      caseActor: { userId: c, mayRoute: false },
      caseId,
      to: "resolved",
    });
    expect(
      (
        await t.db
          .selectFrom("helpline_case")
          .select("assigned_user_id")
          .where("id", "=", next.caseId)
          .executeTakeFirstOrThrow()
      ).assigned_user_id,
    ).toBe(c);
    await t.db.updateTable("helpline_agent").set({ presence: "away" }).execute();
    await t.db.updateTable("helpline_case").set({ state: "resolved", resolved_at: new Date() }).execute();
  });

  it("never gives one case to two agents when many agents press « Dossier suivant » at once", async () => {
    const agents: number[] = [];
    for (let i = 0; i < 12; i++)
      agents.push(await newAgent(100 + i, { presence: "busy", capacity: 3, queues: [queues.GEN] }));
    for (let i = 0; i < 30; i++)
      await createCase(t.db, { boss }, actor, { type: "other", origin: "telephony" });
    // Each agent on its own connection pool, all at once, three clicks each.
    const pools = agents.map(() => createDb(t.url, 2));
    try {
      const results = await Promise.all(
        agents.flatMap((userId, i) => [0, 1, 2].map(() => takeNextCase(pools[i].db, actor, { userId }))),
      );
      const taken = results.filter((r) => r.ok).map((r) => (r.ok ? r.caseId : 0));
      expect(new Set(taken).size).toBe(taken.length);
      expect(taken.length).toBe(30);
    } finally {
      await Promise.all(pools.map((p) => p.db.destroy()));
    }
    const over = await t.db
      .selectFrom("helpline_case as c")
      .innerJoin("helpline_agent as a", "a.user_id", "c.assigned_user_id")
      .select(["a.user_id", "a.capacity", (eb) => eb.fn.countAll<number>().as("n")])
      .where("c.state", "<>", "resolved")
      .groupBy(["a.user_id", "a.capacity"])
      .execute();
    for (const o of over) expect(Number(o.n)).toBeLessThanOrEqual(o.capacity);
    const dup = await t.db
      .selectFrom("helpline_routing_decision")
      .select(["case_id", (eb) => eb.fn.countAll<number>().as("n")])
      .where("mode", "=", "next_case")
      .groupBy("case_id")
      .having((eb) => eb.fn.countAll(), ">", 1)
      .execute();
    expect(dup).toEqual([]);
    await t.db.updateTable("helpline_agent").set({ presence: "away" }).execute();
    await t.db.updateTable("helpline_case").set({ state: "resolved", resolved_at: new Date() }).execute();
  });

  it("concurrent routers never exceed a capacity", async () => {
    for (let i = 0; i < 6; i++)
      await newAgent(200 + i, { presence: "available", capacity: 2, queues: [queues.GEN] });
    await t.db.updateTable("helpline_agent").set({ presence: "away" }).execute();
    for (let i = 0; i < 40; i++)
      await createCase(t.db, { boss }, actor, { type: "other", origin: "telephony" });
    await t.db
      .updateTable("helpline_agent")
      .set({ presence: "available" })
      .where("user_id", "in", (eb) =>
        eb.selectFrom("app_user").select("id").where("email", "like", "agent20%"),
      )
      .execute();
    const pools = [0, 1, 2, 3].map(() => createDb(t.url, 2));
    try {
      await Promise.all(pools.map((p) => routeAll(p.db, { batch: 5 })));
    } finally {
      await Promise.all(pools.map((p) => p.db.destroy()));
    }
    const assigned = await t.db
      .selectFrom("helpline_case")
      .select(["assigned_user_id", (eb) => eb.fn.countAll<number>().as("n")])
      .where("state", "<>", "resolved")
      .where("assigned_user_id", "is not", null)
      .groupBy("assigned_user_id")
      .execute();
    expect(assigned.reduce((s, a) => s + Number(a.n), 0)).toBe(12);
    for (const a of assigned) expect(Number(a.n)).toBeLessThanOrEqual(2);
    await t.db.updateTable("helpline_agent").set({ presence: "away" }).execute();
    await t.db.updateTable("helpline_case").set({ state: "resolved", resolved_at: new Date() }).execute();
  });
});

describe("helpline set-up", () => {
  it("creates a queue, audited with its code (not under the refused `code` key)", async () => {
    const id = await createQueue(t.db, SYSTEM_ACTOR, {
      code: "rappels",
      name: "Rappels",
      isEscalation: false,
    });
    const entry = await t.db
      .selectFrom("audit_log")
      .select("details")
      .where("action", "=", "helpline.queue_created")
      .where("object_id", "=", String(id))
      .executeTakeFirstOrThrow();
    expect(entry.details).toEqual({ queueCode: "rappels", name: "Rappels", isEscalation: false });
  });

  it("archives a reply template once, and refuses an unknown or archived one without an audit entry", async () => {
    const id = await saveMacro(t.db, SYSTEM_ACTOR, {
      title: "Merci",
      body: "Merci de votre appel.",
      caseType: null,
    });
    await archiveMacro(t.db, SYSTEM_ACTOR, id);
    await expect(archiveMacro(t.db, SYSTEM_ACTOR, id)).rejects.toMatchObject({ code: "not_found" });
    await expect(archiveMacro(t.db, SYSTEM_ACTOR, 987_654_321)).rejects.toMatchObject({ code: "not_found" });
    const entries = await t.db
      .selectFrom("audit_log")
      .select("object_id")
      .where("action", "=", "helpline.macro_archived")
      .execute();
    expect(entries).toEqual([{ object_id: String(id) }]);
  });
});

describe("SLA jobs", () => {
  it("warns at 80 %, escalates a breach to the supervisors' queue, and never acts outside working hours", async () => {
    const supervisor = await newAgent(300, { presence: "available", capacity: 5, queues: [queues.SUP] });
    // Created Monday 23 Nov 2026 09:00 Paris; opposition SLA 240 working minutes → warn 12:12, due 13:00.
    const created = parisInstant("2026-11-23", "09:00:00");
    const { caseId } = await createCase(t.db, { boss }, actor, {
      type: "opposition",
      origin: "agent",
      at: created,
    });
    const row = await t.db
      .selectFrom("helpline_case")
      .selectAll()
      .where("id", "=", caseId)
      .executeTakeFirstOrThrow();
    expect(row.sla_warn_at).toEqual(parisInstant("2026-11-23", "12:12:00"));
    expect(row.sla_due_at).toEqual(parisInstant("2026-11-23", "13:00:00"));
    const v = row.sla_version;
    expect(
      await applySlaDeadline(
        t.db,
        { boss, now: parisInstant("2026-11-23", "11:00:00") },
        { caseId, version: v, kind: "warn" },
      ),
    ).toBe("not_yet");
    expect(
      await applySlaDeadline(
        t.db,
        { boss, now: parisInstant("2026-11-23", "12:13:00") },
        { caseId, version: v, kind: "warn" },
      ),
    ).toBe("warned");
    // At night the job does nothing but move itself to the next opening.
    expect(
      await applySlaDeadline(
        t.db,
        { boss, now: parisInstant("2026-11-23", "22:00:00") },
        { caseId, version: v, kind: "breach" },
      ),
    ).toBe("rescheduled");
    expect(
      await applySlaDeadline(
        t.db,
        { boss, now: parisInstant("2026-11-23", "13:01:00") },
        { caseId, version: v, kind: "breach" },
      ),
    ).toBe("escalated");
    const after = await t.db
      .selectFrom("helpline_case")
      .selectAll()
      .where("id", "=", caseId)
      .executeTakeFirstOrThrow();
    expect(after).toMatchObject({
      state: "escalated",
      sla_status: "breached",
      queue_id: queues.SUP,
      assigned_user_id: supervisor,
    });
    // Running the same deadline twice changes nothing.
    expect(
      await applySlaDeadline(
        t.db,
        { boss, now: parisInstant("2026-11-23", "13:05:00") },
        { caseId, version: v, kind: "breach" },
      ),
    ).toBe("stale");
    const history = await t.db
      .selectFrom("helpline_case_history")
      .select(["kind", "to_value"])
      .where("case_id", "=", caseId)
      .execute();
    expect(history).toEqual(
      expect.arrayContaining([
        { kind: "sla", to_value: "at_risk" },
        { kind: "state", to_value: "escalated" },
      ]),
    );
  });

  it("pauses while waiting for the caller and recomputes when the SLA changes", async () => {
    const agent = await newAgent(301, { presence: "available", capacity: 5, queues: [queues.CODE] });
    const created = new Date(Date.now() - 60_000);
    const { caseId } = await createCase(t.db, { boss }, actor, {
      type: "letter_not_received",
      origin: "agent",
      at: created,
    });
    await changeCaseState(t.db, { boss }, actor, {
      caseActor: { userId: agent, mayRoute: false },
      caseId,
      to: "waiting_callback",
    });
    let row = await t.db
      .selectFrom("helpline_case")
      .selectAll()
      .where("id", "=", caseId)
      .executeTakeFirstOrThrow();
    expect(row).toMatchObject({ sla_clock_started_at: null, sla_due_at: null, sla_warn_at: null });
    await changeCaseState(t.db, { boss }, actor, {
      caseActor: { userId: agent, mayRoute: false },
      caseId,
      to: "in_progress",
    });
    row = await t.db
      .selectFrom("helpline_case")
      .selectAll()
      .where("id", "=", caseId)
      .executeTakeFirstOrThrow();
    expect(row.sla_due_at).not.toBeNull();
    const before = row.sla_due_at as Date;
    const version = row.sla_version;
    expect(
      await saveSla(t.db, { boss }, actor, {
        caseType: "letter_not_received",
        targetMinutes: 2160,
        warnPct: 80,
      }),
    ).toBeGreaterThan(0);
    row = await t.db
      .selectFrom("helpline_case")
      .selectAll()
      .where("id", "=", caseId)
      .executeTakeFirstOrThrow();
    expect(row.sla_target_minutes).toBe(2160);
    expect(row.sla_version).toBeGreaterThan(version);
    expect((row.sla_due_at as Date).getTime()).toBeGreaterThan(before.getTime());
    // The old version's jobs are now no-ops.
    expect(
      await applySlaDeadline(
        t.db,
        { boss, now: parisInstant("2026-11-24", "10:00:00") },
        { caseId, version, kind: "breach" },
      ),
    ).toBe("stale");
    expect(await sweepSla(t.db, { boss, now: parisInstant("2026-11-22", "10:00:00") })).toBe(0); // a Sunday: nothing
  });
});
