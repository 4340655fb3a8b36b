import { sql } from "kysely";
import type PgBoss from "pg-boss";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createLogger } from "../../app/config/logger.server";
import type { AuditActor } from "../../app/domain/audit/audit.server";
import { issueCode } from "../../app/domain/codes/codes.server";
import { createCase } from "../../app/domain/helpline/cases.server";
import { recordIdentityCheck, resetCode } from "../../app/domain/helpline/person-actions.server";
import { buildNir } from "../../app/domain/persons/nir";
import { handleCodeReset, handleVerifyCode } from "../../app/domain/portal/api.server";
import { regenerateFromPortal } from "../../app/domain/portal/code-reset.server";
import { signedHeaders } from "../../app/domain/portal/signature";
import { runBatch } from "../../app/domain/waves/batch-run.server";
import { createBoss, startBoss } from "../../app/infra/job-client.server";
import { type CaseCodeSmsJob, type PortalCodeResetJob, QUEUES } from "../../app/infra/queues";
import { addAgent, setupHelplineDefaults } from "../../cli/seed/helpline";
import { createUser } from "../../cli/seed/users";
import { caseCodeSms } from "../../jobs/case-code-sms";
import { portalCodeReset } from "../../jobs/portal-code-reset";
import { insertPersons } from "../factories";
import { BREVO_API_KEY, BREVO_API_URL, resetSmsGateway, sentSms } from "../mocks/sms-gateway";
import { setupTestDatabase, testConfig } from "../setup/database";
import { startSmtpRelay, TLS_CA_FILE } from "../support/smtp-relay";

const t = setupTestDatabase();
// Emails go over real SMTP to this relay; SMS to the msw replay of Brevo's documented API.
const relay = await startSmtpRelay();
afterAll(() => relay.close());
const config = testConfig({
  SMS_PROVIDER: "brevo",
  BREVO_API_URL,
  BREVO_API_KEY,
  SMTP_URL: relay.url,
  SMTP_CA_FILE: TLS_CA_FILE,
});
const logger = createLogger({ level: "silent" });
const DAY_MS = 86400_000;
const CODE = /[A-Z0-9]{4}(?:-[A-Z0-9]{4,5}){2}/;
const ACCEPTED = { status: 202, body: { status: "accepted" } };

let boss: PgBoss;
const ctx = () => ({ db: t.db, boss, config, logger });

interface Person {
  id: number;
  nir: string;
  birthDate: string;
  oldCode: string;
}

let offset = 0;
async function person(contact: { phone: string | null; email: string | null }): Promise<Person> {
  const notifiedAt = new Date(Date.now() - 3 * DAY_MS);
  const [id] = await insertPersons(t.db, {
    count: 1,
    state: "notified",
    offset: offset++,
    seed: 100 + offset,
    notifiedAt,
    windowEndsAt: new Date(Date.now() + 39 * DAY_MS),
  });
  await t.db
    .updateTable("person")
    .set({ ...contact, state_changed_at: notifiedAt })
    .where("id", "=", id)
    .execute();
  const row = await t.db
    .selectFrom("person")
    .select(["nir", sql<string>`to_char(birth_date, 'YYYY-MM-DD')`.as("birth")])
    .where("id", "=", id)
    .executeTakeFirstOrThrow();
  const issued = await t.db
    .transaction()
    .execute((trx) =>
      issueCode(trx, { config }, { personId: id, expiresAt: new Date(Date.now() + 40 * DAY_MS) }),
    );
  return { id, nir: row.nir.trim(), birthDate: row.birth, oldCode: issued.clearCode };
}

// A signature covers the timestamp and the body: the same request twice in one second is a replay. Each
// request of the tests gets its own second (within the ±5 minutes accepted).
let tick = 0;
function signed(path: string, body: unknown, opts: { secret?: string } = {}): Request {
  const raw = typeof body === "string" ? body : JSON.stringify(body);
  const now = new Date(Date.now() - (tick++ % 280) * 1000);
  return new Request(`http://localhost${path}`, {
    method: "POST",
    headers: signedHeaders(opts.secret ?? config.secrets.portalWebhook, raw, now),
    body: raw,
  });
}

async function askReset(body: unknown, opts: { secret?: string } = {}) {
  const response = await handleCodeReset(signed("/api/portal/code-reset", body, opts), ctx());
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

async function verify(nir: string, code: string): Promise<unknown> {
  const response = await handleVerifyCode(signed("/api/portal/verify-code", { nir, code }), ctx());
  return ((await response.json()) as { result?: unknown }).result;
}

/** Runs what the worker would: the queued portal requests, then the SMS jobs and the single email batches. */
async function runWorker(): Promise<{ portalJobs: number }> {
  const portal = await boss.fetch<PortalCodeResetJob>(QUEUES.portalCodeReset, { batchSize: 50 });
  if (portal.length) {
    await portalCodeReset.handle(portal, { ...ctx() });
    await boss.complete(
      QUEUES.portalCodeReset,
      portal.map((j) => j.id),
    );
  }
  const sms = await boss.fetch<CaseCodeSmsJob>(QUEUES.caseCodeSms, { batchSize: 50 });
  if (sms.length) {
    await caseCodeSms.handle(sms, ctx());
    await boss.complete(
      QUEUES.caseCodeSms,
      sms.map((j) => j.id),
    );
  }
  const batches = await t.db
    .selectFrom("wave_batch")
    .select("id")
    .where("kind", "=", "single")
    .where("status", "not in", ["done", "cancelled", "failed"])
    .execute();
  for (const b of batches) for (let i = 0; i < 10; i++) await runBatch(t.db, ctx(), { batchId: b.id });
  return { portalJobs: portal.length };
}

/** Everything a reset could change for a person, to show a refused request changed nothing. */
async function footprint(personId: number) {
  const codes = await t.db
    .selectFrom("provisional_code")
    .select(["id", "revoked_at", "used_at"])
    .where("person_id", "=", personId)
    .orderBy("id")
    .execute();
  const resets = await t.db
    .selectFrom("helpline_code_reset")
    .select("id")
    .where("person_id", "=", personId)
    .execute();
  const events = await t.db
    .selectFrom("person_event")
    .select("id")
    .where("person_id", "=", personId)
    .execute();
  const state = await t.db
    .selectFrom("person")
    .select(["state", "state_changed_at"])
    .where("id", "=", personId)
    .executeTakeFirstOrThrow();
  return { codes, resets: resets.length, events: events.length, state };
}

async function auditOf(personId: number) {
  return t.db
    .selectFrom("audit_log")
    .select(["action", "details"])
    .where("object_type", "=", "person")
    .where("object_id", "=", String(personId))
    .where("action", "like", "portal.code_reset%")
    .orderBy("id")
    .execute();
}

let agentId: number;
let agent: AuditActor;
beforeAll(async () => {
  boss = createBoss(t.url, logger);
  await startBoss(boss);
  const q = await setupHelplineDefaults(t.db);
  agentId = await createUser(t.db, {
    email: "agent@test.fr",
    name: "Agent",
    password: "unused-password",
    roles: ["helpline_agent"],
  });
  await addAgent(t.db, { userId: agentId, capacity: 50, presence: "busy", queueIds: [q.GEN, q.OPP, q.CODE] });
  agent = { userId: agentId, label: "agent@test.fr" };
});
afterAll(async () => {
  await boss?.stop({ graceful: false, wait: true });
});
beforeEach(() => {
  resetSmsGateway();
  relay.reset();
});

describe("POST /api/portal/code-reset", () => {
  it("sends a new code by SMS that revokes the old one; the new one verifies", async () => {
    const p = await person({ phone: "06 12 34 56 78", email: "sms-person@exemple.fr" });
    expect(await verify(p.nir, p.oldCode)).toBe("valid");
    expect(await askReset({ nir: p.nir, birth_date: p.birthDate, channel: "sms" })).toEqual(ACCEPTED);
    // Nothing is done on the request path.
    expect((await footprint(p.id)).resets).toBe(0);
    expect(await runWorker()).toEqual({ portalJobs: 1 });
    expect(sentSms).toHaveLength(1);
    expect(sentSms[0].body.recipient).toBe("33612345678");
    const code = CODE.exec(sentSms[0].body.content)?.[0] ?? "";
    expect(code).not.toBe("");
    expect(await verify(p.nir, p.oldCode)).toBe("revoked");
    expect(await verify(p.nir, code)).toBe("valid");
    expect(relay.messages()).toHaveLength(0);

    const reset = await t.db
      .selectFrom("helpline_code_reset")
      .selectAll()
      .where("person_id", "=", p.id)
      .executeTakeFirstOrThrow();
    expect(reset).toMatchObject({ origin: "portal", channel: "sms", case_id: null, user_id: null });
    expect(reset.delivered_at).not.toBeNull();
    const event = await t.db
      .selectFrom("person_event")
      .select(["type", "source", "details"])
      .where("person_id", "=", p.id)
      .where("type", "=", "code_reset")
      .executeTakeFirstOrThrow();
    expect(event).toMatchObject({ source: "portal", details: { channel: "sms" } });
    // Audited with the channel; never the code, the number or the NIR.
    const audit = await auditOf(p.id);
    expect(audit).toEqual([{ action: "portal.code_reset", details: { channel: "sms", resetId: reset.id } }]);
    const everything = JSON.stringify(
      (await t.db.selectFrom("audit_log").select(["details", "object_id"]).execute()).concat(
        (await sql`SELECT data FROM pgboss.job`.execute(t.db)).rows as never[],
      ),
    );
    expect(everything).not.toContain(code);
    expect(everything).not.toContain(p.nir);
    expect(everything).not.toContain("0612345678");
  });

  it("sends a new code by email (over SMTP) to the address on file", async () => {
    const p = await person({ phone: null, email: "mail-person@exemple.fr" });
    expect(await askReset({ nir: p.nir, birth_date: p.birthDate, channel: "email" })).toEqual(ACCEPTED);
    await runWorker();
    expect(sentSms).toHaveLength(0);
    const mails = relay.messages();
    expect(mails).toHaveLength(1);
    expect(mails[0].to).toBe("mail-person@exemple.fr");
    const code = CODE.exec(mails[0].text)?.[0] ?? "";
    expect(await verify(p.nir, p.oldCode)).toBe("revoked");
    expect(await verify(p.nir, code)).toBe("valid");
    expect(await auditOf(p.id)).toMatchObject([
      { action: "portal.code_reset", details: { channel: "email" } },
    ]);
  });

  it("answers the same to a wrong birth date, an unknown NIR and a channel with nothing on file — and changes nothing", async () => {
    const p = await person({ phone: null, email: null });
    const before = await footprint(p.id);
    const otherDay = p.birthDate.endsWith("-01")
      ? p.birthDate.replace(/-01$/, "-02")
      : `${p.birthDate.slice(0, 8)}01`;
    const unknown = {
      nir: buildNir({ sex: 2, year: 1951, month: 7, department: "99", commune: 999, order: 999 }),
      birthDate: "1951-07-14",
    };
    const answers = [
      await askReset({ nir: p.nir, birth_date: otherDay, channel: "sms" }),
      await askReset({ nir: unknown.nir, birth_date: unknown.birthDate, channel: "sms" }),
      await askReset({ nir: p.nir, birth_date: p.birthDate, channel: "sms" }),
      await askReset({ nir: p.nir, birth_date: p.birthDate, channel: "email" }),
    ];
    for (const a of answers) expect(a).toEqual(ACCEPTED);
    // Every request enqueues exactly one job, whatever it will find.
    expect(await runWorker()).toEqual({ portalJobs: 4 });
    expect(sentSms).toHaveLength(0);
    expect(relay.messages()).toHaveLength(0);
    expect(await footprint(p.id)).toEqual(before);
    expect(await verify(p.nir, p.oldCode)).toBe("valid");
    // The refusals on a known person are audited with their reason (the 34 22 can say why no code came).
    const refusals = (await auditOf(p.id)).map((a) => a.details as { refusal: string });
    expect(refusals.sort((a, b) => a.refusal.localeCompare(b.refusal))).toEqual([
      { channel: "sms", refusal: "birth_date_mismatch" },
      { channel: "email", refusal: "no_email" },
      { channel: "sms", refusal: "no_phone" },
    ]);
  });

  it("shares the limit of 3 resets in 24 h with the helpline: the 4th is answered alike and sends nothing", async () => {
    const p = await person({ phone: "07 11 22 33 44", email: "limit@exemple.fr" });
    const { caseId } = await createCase(t.db, { boss }, agent, {
      type: "code_reset",
      origin: "agent",
      createdBy: agentId,
      claimedBy: agentId,
    });
    const caseActor = { userId: agentId, mayRoute: false };
    await recordIdentityCheck(t.db, agent, {
      caseActor,
      caseId,
      personId: p.id,
      answers: { name: true, birthDate: true, postalCode: true },
    });
    await resetCode(t.db, { boss, config }, agent, { caseActor, caseId, channel: "sms" });
    await resetCode(t.db, { boss, config }, agent, { caseActor, caseId, channel: "sms" });
    expect(await askReset({ nir: p.nir, birth_date: p.birthDate, channel: "sms" })).toEqual(ACCEPTED);
    await runWorker();
    expect(sentSms).toHaveLength(3);
    const last = CODE.exec(sentSms[2].body.content)?.[0] ?? "";
    resetSmsGateway();
    const before = await footprint(p.id);
    expect(await askReset({ nir: p.nir, birth_date: p.birthDate, channel: "sms" })).toEqual(ACCEPTED);
    await runWorker();
    expect(sentSms).toHaveLength(0);
    expect(await footprint(p.id)).toEqual(before);
    expect(await verify(p.nir, last)).toBe("valid");
    expect((await auditOf(p.id)).at(-1)).toMatchObject({
      action: "portal.code_reset_refused",
      details: { refusal: "reset_limit" },
    });
    // And the helpline sees the portal's reset in its own count.
    await expect(
      resetCode(t.db, { boss, config }, agent, { caseActor, caseId, channel: "sms" }),
    ).rejects.toMatchObject({ code: "reset_limit" });
  });

  it("runs a job twice (a worker crash after the commit) without a second reset", async () => {
    const p = await person({ phone: "06 99 88 77 66", email: null });
    const job: PortalCodeResetJob = {
      personId: p.id,
      birthDateMatches: true,
      channel: "sms",
      requestedAt: new Date().toISOString(),
    };
    expect(await regenerateFromPortal(t.db, { boss }, job)).toBe("reset");
    expect(await regenerateFromPortal(t.db, { boss }, job)).toBe("already_done");
    expect((await footprint(p.id)).resets).toBe(1);
    await runWorker();
    expect(sentSms).toHaveLength(1);
  });

  it("refuses a bad or missing signature and a replay with 401", async () => {
    const p = await person({ phone: "0612345678", email: null });
    const body = { nir: p.nir, birth_date: p.birthDate, channel: "sms" };
    expect(await askReset(body, { secret: "not-the-portal-secret" })).toMatchObject({
      status: 401,
      body: { error: "bad_signature" },
    });
    const bare = new Request("http://localhost/api/portal/code-reset", {
      method: "POST",
      body: JSON.stringify(body),
    });
    const response = await handleCodeReset(bare, ctx());
    expect(response.status).toBe(401);
    expect(await response.json()).toMatchObject({ error: "missing_signature" });
    const request = signed("/api/portal/code-reset", body);
    const replay = request.clone();
    expect((await handleCodeReset(request, ctx())).status).toBe(202);
    const replayed = await handleCodeReset(replay, ctx());
    expect(replayed.status).toBe(401);
    expect(await replayed.json()).toMatchObject({ error: "replayed" });
    expect(await runWorker()).toEqual({ portalJobs: 1 });
    expect(sentSms).toHaveLength(1);
  });

  it("answers malformed fields with 400 and a French reason naming the field, and enqueues nothing", async () => {
    const p = await person({ phone: "0612345678", email: null });
    const ok = { nir: p.nir, birth_date: p.birthDate, channel: "sms" };
    const cases: Array<[unknown, string, string]> = [
      [{ ...ok, nir: "1234" }, "nir", "nir : NIR de 4 caractères"],
      [
        { ...ok, nir: `${p.nir.slice(0, 13)}${p.nir.slice(13) === "00" ? "01" : "00"}` },
        "nir",
        "clé NIR invalide",
      ],
      [{ ...ok, nir: undefined }, "nir", "numéro de sécurité sociale requis"],
      [{ ...ok, birth_date: "1984-02-30" }, "birth_date", "1984-02-30 n'existe pas"],
      [{ ...ok, birth_date: "12/05/1984" }, "birth_date", "AAAA-MM-JJ"],
      [{ ...ok, birth_date: "2999-01-01" }, "birth_date", "date de naissance impossible"],
      [{ ...ok, channel: "fax" }, "channel", "« sms »"],
      [{ ...ok, channel: "letter" }, "channel", "« email »"],
    ];
    for (const [body, field, reason] of cases) {
      const answer = await askReset(body);
      expect(answer.status, JSON.stringify(body)).toBe(400);
      expect(answer.body).toMatchObject({ error: "invalid_field", field });
      expect(String(answer.body.reason)).toContain(reason);
    }
    expect((await askReset("{not json")).status).toBe(400);
    expect(await runWorker()).toEqual({ portalJobs: 0 });
  });
});
