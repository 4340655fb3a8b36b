import { readFileSync } from "node:fs";
import path from "node:path";
import { sql } from "kysely";
import type PgBoss from "pg-boss";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createLogger } from "../../app/config/logger.server";
import type { AuditActor } from "../../app/domain/audit/audit.server";
import { verifyCode } from "../../app/domain/codes/codes.server";
import { takeNextCase } from "../../app/domain/helpline/agent-commands.server";
import { findCallers } from "../../app/domain/helpline/callers.server";
import { createCase } from "../../app/domain/helpline/cases.server";
import { type ConfirmationJob, sendConfirmation } from "../../app/domain/helpline/confirmation.server";
import { HelplineError } from "../../app/domain/helpline/errors";
import {
  deliverResetBySms,
  recordIdentityCheck,
  recordOpposition,
  resetCode,
} from "../../app/domain/helpline/person-actions.server";
import { createSmsGateway, normaliseMobile } from "../../app/domain/helpline/sms-gateway.server";
import { smsLength } from "../../app/domain/helpline/sms-length";
import { signTelephonyBody, verifyTelephonySignature } from "../../app/domain/helpline/telephony";
import { openCaseFromCall } from "../../app/domain/helpline/telephony.server";
import { runBatch } from "../../app/domain/waves/batch-run.server";
import { createEmailProvider, EmailTransientError } from "../../app/domain/waves/email-provider.server";
import { createBoss, startBoss } from "../../app/infra/job-client.server";
import { action as telephonyAction } from "../../app/routes/api.telephony.calls";
import { addAgent, setupHelplineDefaults } from "../../cli/seed/helpline";
import { createUser } from "../../cli/seed/users";
import { insertPersons } from "../factories";
import { mockServer } from "../mocks/server";
import {
  BREVO_API_KEY,
  BREVO_API_URL,
  brevoSmsRequestShape,
  resetSmsGateway,
  sentSms,
  smsGatewayFails,
} from "../mocks/sms-gateway";
import { setupTestDatabase, testConfig } from "../setup/database";
import { startSmtpRelay, TLS_CA_FILE } from "../support/smtp-relay";

const t = setupTestDatabase();
// Emails go over real SMTP to this relay; messages() is what it received.
const relay = await startSmtpRelay();
afterAll(() => relay.close());
let boss: PgBoss;
let agentId: number;
let actor: AuditActor;
const config = testConfig({
  SMS_PROVIDER: "brevo",
  BREVO_API_URL,
  BREVO_API_KEY,
  SMTP_URL: relay.url,
  SMTP_CA_FILE: TLS_CA_FILE,
});

async function newCaseFor(personIdx = 0) {
  const { caseId } = await createCase(t.db, { boss }, actor, {
    type: "code_reset",
    origin: "agent",
    createdBy: agentId,
    claimedBy: agentId,
  });
  return { caseId, caseActor: { userId: agentId, mayRoute: false }, personIdx };
}
const allTicked = { name: true, birthDate: true, postalCode: true };

let persons: number[];
beforeAll(async () => {
  boss = createBoss(t.url, createLogger({ level: "silent" }));
  await startBoss(boss);
  const q = await setupHelplineDefaults(t.db);
  agentId = await createUser(t.db, {
    email: "k@test.fr",
    name: "Karim",
    password: "unused-password",
    roles: ["helpline_agent"],
  });
  await addAgent(t.db, { userId: agentId, capacity: 50, presence: "busy", queueIds: [q.GEN, q.OPP, q.CODE] });
  actor = { userId: agentId, label: "k@test.fr" };
  const notifiedAt = new Date(Date.now() - 3 * 86400_000);
  persons = await insertPersons(t.db, {
    count: 6,
    state: "notified",
    emailShare: 1,
    notifiedAt,
    windowEndsAt: new Date(Date.now() + 39 * 86400_000),
  });
  await t.db.updateTable("person").set({ phone: "06 12 34 56 78", state_changed_at: notifiedAt }).execute();
});
afterAll(async () => {
  await boss?.stop({ graceful: false, wait: true });
});
beforeEach(() => {
  resetSmsGateway();
  relay.reset();
});

describe("identity check", () => {
  it("is required before any action on a person, and all three answers must be ticked", async () => {
    const { caseId, caseActor } = await newCaseFor();
    await expect(
      recordOpposition(t.db, { boss, config }, actor, { caseActor, caseId }),
    ).rejects.toMatchObject({
      code: "identity_check_required",
    });
    await expect(
      recordIdentityCheck(t.db, actor, {
        caseActor,
        caseId,
        personId: persons[0],
        answers: { ...allTicked, postalCode: false },
      }),
    ).rejects.toThrow("code postal");
    await expect(
      resetCode(t.db, { boss, config }, actor, { caseActor, caseId, channel: "sms" }),
    ).rejects.toBeInstanceOf(HelplineError);
    const checks = await t.db
      .selectFrom("helpline_identity_check")
      .selectAll()
      .where("case_id", "=", caseId)
      .execute();
    expect(checks).toHaveLength(0);
    await recordIdentityCheck(t.db, actor, { caseActor, caseId, personId: persons[0], answers: allTicked });
    const r = await recordOpposition(t.db, { boss, config }, actor, { caseActor, caseId });
    expect(r.to).toBe("opposed");
    const person = await t.db
      .selectFrom("person")
      .select("state")
      .where("id", "=", persons[0])
      .executeTakeFirstOrThrow();
    expect(person.state).toBe("opposed");
    // The confirmation is queued with the opposition, then sent once by its job (email here, over SMTP).
    const queued = await sql<{ data: ConfirmationJob }>`
      SELECT data FROM pgboss.job WHERE name = 'case-confirmation'
    `.execute(t.db);
    expect(queued.rows.map((r) => r.data)).toEqual([
      { caseId, personId: persons[0], kind: "opposition", channel: "email" },
    ]);
    expect(await sendConfirmation(t.db, { config }, queued.rows[0].data)).toBe("sent");
    expect(await sendConfirmation(t.db, { config }, queued.rows[0].data)).toBe("already_sent");
    expect(relay.messages()).toHaveLength(1);
    expect(relay.messages()[0].subject).toContain("opposition est enregistrée");
    expect(relay.messages()[0].text).not.toMatch(/[2-9A-HJKMNP-Z]{4}-[2-9A-HJKMNP-Z]{4}/);
    // By letter: a one-page PDF for the print house.
    await sendConfirmation(
      t.db,
      { config },
      {
        caseId,
        personId: persons[0],
        kind: "closure",
        channel: "letter",
      },
    );
    const pdf = readFileSync(
      path.join(config.printDir, "helpline", `helpline-closure-confirmation-${caseId}.pdf`),
    );
    expect(pdf.subarray(0, 5).toString()).toBe("%PDF-");
    const audit = await t.db
      .selectFrom("audit_log")
      .select("action")
      .where("action", "like", "helpline.%")
      .execute();
    expect(audit.map((a) => a.action)).toEqual(
      expect.arrayContaining([
        "helpline.case_created",
        "helpline.identity_checked",
        "helpline.opposition_recorded",
      ]),
    );
  });

  it("asks a supervisor who takes over a case for a check of their own", async () => {
    const { caseId, caseActor } = await newCaseFor();
    await recordIdentityCheck(t.db, actor, { caseActor, caseId, personId: persons[1], answers: allTicked });
    const supervisor = {
      userId: await createUser(t.db, {
        email: "sup@test.fr",
        name: "Sup",
        password: "unused-password",
        roles: ["helpline_supervisor"],
      }),
      mayRoute: true,
    };
    await expect(
      resetCode(t.db, { boss, config }, actor, { caseActor: supervisor, caseId, channel: "letter" }),
    ).rejects.toMatchObject({
      code: "identity_check_required",
    });
    await recordIdentityCheck(t.db, actor, {
      caseActor: supervisor,
      caseId,
      personId: persons[1],
      answers: allTicked,
    });
    await expect(
      resetCode(t.db, { boss, config }, actor, { caseActor: supervisor, caseId, channel: "letter" }),
    ).resolves.toBeDefined();
  });

  it("refuses another agent's case", async () => {
    const { caseId } = await newCaseFor();
    await expect(
      recordIdentityCheck(t.db, actor, {
        caseActor: { userId: 999_999, mayRoute: false },
        caseId,
        personId: persons[1],
        answers: allTicked,
      }),
    ).rejects.toMatchObject({ code: "not_yours" });
  });
});

describe("code reset", () => {
  it("sends a new code by SMS through the gateway, revoking the old one, never storing it in clear", async () => {
    const { caseId, caseActor } = await newCaseFor();
    await recordIdentityCheck(t.db, actor, { caseActor, caseId, personId: persons[2], answers: allTicked });
    const { resetId } = await resetCode(t.db, { boss, config }, actor, { caseActor, caseId, channel: "sms" });
    const job = await sql<{
      data: { resetId: number };
    }>`SELECT data FROM pgboss.job WHERE name = 'case-code-sms'`.execute(t.db);
    expect(job.rows.map((j) => j.data.resetId)).toContain(resetId);
    expect(await deliverResetBySms(t.db, { config }, resetId)).toBe("sent");
    expect(sentSms).toHaveLength(1);
    // Brevo's documented request: the same fields, the number without "+", our sender, the reset as tag, and
    // GSM-7 (the French accents of the text are in the GSM alphabet), so no unicode flag.
    expect(Object.keys(sentSms[0].body).sort()).toEqual(Object.keys(brevoSmsRequestShape).sort());
    expect(sentSms[0].body).toMatchObject({
      recipient: "33612345678",
      sender: "AMELI",
      type: "transactional",
      tag: `code-reset-${resetId}`,
      unicodeEnabled: false,
    });
    expect(sentSms[0].apiKey).toBe(BREVO_API_KEY);
    expect(smsLength(sentSms[0].body.content)).toMatchObject({ encoding: "GSM-7", parts: 1 });
    const code = /code provisoire est ([A-Z0-9-]+)\./.exec(sentSms[0].body.content)?.[1] ?? "";
    expect(await verifyCode(t.db, { config }, { personId: persons[2], code })).toBe("valid");
    // Run twice (pg-boss retry after a crash): nothing sent again.
    expect(await deliverResetBySms(t.db, { config }, resetId)).toBe("already_done");
    expect(sentSms).toHaveLength(1);
    const dump = JSON.stringify(await t.db.selectFrom("helpline_case_history").selectAll().execute());
    expect(dump).not.toContain(code);
    const active = await t.db
      .selectFrom("provisional_code")
      .select("id")
      .where("person_id", "=", persons[2])
      .where("revoked_at", "is", null)
      .execute();
    expect(active).toHaveLength(1);
  });

  it("retries transient gateway failures and rolls the code back when the gateway gives up", async () => {
    const { caseId, caseActor } = await newCaseFor();
    await recordIdentityCheck(t.db, actor, { caseActor, caseId, personId: persons[3], answers: allTicked });
    const gateway = createSmsGateway(config, { backoffMs: 0, attempts: 3, timeoutMs: 200 });
    mockServer.use(...smsGatewayFails({ status: 503 }, 1), ...smsGatewayFails("network", 1));
    const first = await resetCode(t.db, { boss, config }, actor, { caseActor, caseId, channel: "sms" });
    expect(await deliverResetBySms(t.db, { config, gateway }, first.resetId)).toBe("sent");
    expect(sentSms).toHaveLength(1);
    // 429 with Retry-After, then timeouts until the attempts run out: the job throws (pg-boss retries) and
    // no code was issued.
    mockServer.resetHandlers();
    mockServer.use(
      ...smsGatewayFails({ status: 429, rateLimitReset: "0" }, 1),
      ...smsGatewayFails("timeout", 5),
    );
    const before = await t.db
      .selectFrom("provisional_code")
      .select("id")
      .where("person_id", "=", persons[3])
      .execute();
    const second = await resetCode(t.db, { boss, config }, actor, { caseActor, caseId, channel: "sms" });
    await expect(deliverResetBySms(t.db, { config, gateway }, second.resetId)).rejects.toThrow(
      "après 3 tentatives",
    );
    const after = await t.db
      .selectFrom("provisional_code")
      .select("id")
      .where("person_id", "=", persons[3])
      .execute();
    expect(after).toHaveLength(before.length);
    // A permanent refusal (400) is recorded, not retried.
    mockServer.resetHandlers();
    mockServer.use(...smsGatewayFails({ status: 400 }, 1));
    expect(await deliverResetBySms(t.db, { config, gateway }, second.resetId)).toBe("refused");
    const reset = await t.db
      .selectFrom("helpline_code_reset")
      .selectAll()
      .where("id", "=", second.resetId)
      .executeTakeFirstOrThrow();
    expect(reset.failure).toContain("HTTP 400");
  });

  it("sends a new code by email through the waves' single notification (over SMTP)", async () => {
    const { caseId, caseActor } = await newCaseFor();
    await recordIdentityCheck(t.db, actor, { caseActor, caseId, personId: persons[4], answers: allTicked });
    await resetCode(t.db, { boss, config }, actor, { caseActor, caseId, channel: "email" });
    const batch = await t.db
      .selectFrom("wave_batch")
      .select("id")
      .where("kind", "=", "single")
      .orderBy("id", "desc")
      .executeTakeFirstOrThrow();
    const ctx = { boss, config, logger: createLogger({ level: "silent" }) };
    for (let i = 0; i < 10; i++) await runBatch(t.db, ctx, { batchId: batch.id });
    expect(relay.received.length).toBe(1);
    const person = await t.db
      .selectFrom("person")
      .select("email")
      .where("id", "=", persons[4])
      .executeTakeFirstOrThrow();
    expect(relay.messages()[0].to).toBe(person.email);
  });

  it("an email provider outage leaves the reset undelivered, the retry sends it once with a valid code", async () => {
    const { caseId, caseActor } = await newCaseFor();
    await recordIdentityCheck(t.db, actor, { caseActor, caseId, personId: persons[4], answers: allTicked });
    await resetCode(t.db, { boss, config }, actor, { caseActor, caseId, channel: "email" });
    const batch = await t.db
      .selectFrom("wave_batch")
      .select("id")
      .where("kind", "=", "single")
      .orderBy("id", "desc")
      .executeTakeFirstOrThrow();
    // The relay greylists every attempt: the batch fails transiently, nothing leaves.
    relay.fail("greylist", { times: 1000 });
    const logger = createLogger({ level: "silent" });
    const failing = createEmailProvider(t.db, config, { sleep: async () => {}, maxAttempts: 2 });
    await expect(
      (async () => {
        for (let i = 0; i < 10; i++)
          await runBatch(t.db, { boss, config, logger, provider: failing }, { batchId: batch.id });
      })(),
    ).rejects.toBeInstanceOf(EmailTransientError);
    expect(relay.messages()).toHaveLength(0);
    await failing.close?.();
    relay.reset();
    const working = createEmailProvider(t.db, config, { sleep: async () => {} });
    for (let i = 0; i < 10; i++)
      await runBatch(t.db, { boss, config, logger, provider: working }, { batchId: batch.id });
    await working.close?.();
    expect(relay.messages()).toHaveLength(1);
    const code = /[A-Z0-9]{4}(?:-[A-Z0-9]{4,5}){2}/.exec(relay.messages()[0].text)?.[0] ?? "";
    expect(await verifyCode(t.db, { config }, { personId: persons[4], code })).toBe("valid");
  });

  it("allows at most 3 resets per person per 24 hours", async () => {
    const { caseId, caseActor } = await newCaseFor();
    await recordIdentityCheck(t.db, actor, { caseActor, caseId, personId: persons[5], answers: allTicked });
    const deps = { boss, config };
    const attempts = await Promise.allSettled(
      [0, 1, 2, 3, 4].map(() => resetCode(t.db, deps, actor, { caseActor, caseId, channel: "letter" })),
    );
    expect(attempts.filter((a) => a.status === "fulfilled")).toHaveLength(3);
    const refused = attempts.find((a) => a.status === "rejected");
    expect(refused?.status === "rejected" && refused.reason).toMatchObject({ code: "reset_limit" });
    // 25 hours later it is possible again.
    await t.db
      .updateTable("helpline_code_reset")
      .set({ at: new Date(Date.now() - 25 * 3600_000) })
      .where("person_id", "=", persons[5])
      .execute();
    await expect(
      resetCode(t.db, deps, actor, { caseActor, caseId, channel: "letter" }),
    ).resolves.toBeDefined();
  });
});

describe("callers and telephony", () => {
  it("finds a caller by NIR or by name + birth date + postal code", async () => {
    const p = await t.db
      .selectFrom("person")
      .select(["nir", "last_name", sql<string>`to_char(birth_date, 'YYYY-MM-DD')`.as("birth"), "postal_code"])
      .where("id", "=", persons[1])
      .executeTakeFirstOrThrow();
    const byNir = await findCallers(t.db, { nir: p.nir }, { showNir: false });
    expect(byNir.ok && byNir.matches.map((m) => m.personId)).toEqual([persons[1]]);
    expect(byNir.ok && byNir.matches[0].nirDisplay).not.toContain(p.nir.slice(5, 10));
    const byName = await findCallers(
      t.db,
      { lastName: p.last_name.toUpperCase(), birthDate: p.birth, postalCode: p.postal_code },
      { showNir: true },
    );
    expect(byName.ok && byName.matches.map((m) => m.personId)).toContain(persons[1]);
    expect(await findCallers(t.db, { nir: "1234" }, { showNir: false })).toMatchObject({ ok: false });
  });

  it("verifies the telephony signature and opens one case per call id in the IVR's queue", async () => {
    const secret = config.secrets.telephonyWebhook;
    const body = JSON.stringify({
      caller_number: "+33 6 11 22 33 44",
      ivr_choice: "1",
      at: new Date().toISOString(),
      call_id: "c-1",
    });
    const ts = Math.floor(Date.now() / 1000);
    const sig = signTelephonyBody(secret, ts, body);
    expect(
      verifyTelephonySignature({ secret, timestamp: String(ts), signature: sig, rawBody: body }),
    ).toEqual({ ok: true });
    expect(
      verifyTelephonySignature({ secret, timestamp: String(ts), signature: sig, rawBody: `${body} ` }),
    ).toMatchObject({ ok: false });
    expect(
      verifyTelephonySignature({
        secret,
        timestamp: String(ts - 600),
        signature: signTelephonyBody(secret, ts - 600, body),
        rawBody: body,
      }),
    ).toMatchObject({ ok: false, reason: "horodatage hors tolérance (5 min)" });
    const call = {
      caller_number: "+33 6 11 22 33 44",
      ivr_choice: "1",
      at: new Date().toISOString(),
      call_id: "c-1",
      postal_code: "31000",
    };
    const first = await openCaseFromCall(t.db, { boss }, call);
    const again = await openCaseFromCall(t.db, { boss }, call);
    expect(first.created).toBe(true);
    expect(again).toEqual({ caseId: first.caseId, created: false });
    const row = await t.db
      .selectFrom("helpline_case as c")
      .innerJoin("helpline_queue as q", "q.id", "c.queue_id")
      .select(["c.type", "q.code", "c.department"])
      .where("c.id", "=", first.caseId)
      .executeTakeFirstOrThrow();
    expect(row).toEqual({ type: "opposition", code: "OPP", department: "31" });
    expect(normaliseMobile("06 12 34 56 78")).toBe("+33612345678");
    expect(normaliseMobile("01 23 45 67 89")).toBeNull();
    expect((await takeNextCase(t.db, actor, { userId: agentId })).ok).toBe(true);
  });

  it("answers the telephony server over HTTP: 201 created, 401 exact replay, 200 duplicate, 401 bad signature, 400 bad body", async () => {
    const secret = config.secrets.telephonyWebhook;
    // The first second is fixed so that the replay below is byte for byte the same request even
    // when the clock ticks over a second between the two posts.
    const firstSecond = Math.floor(Date.now() / 1000);
    const post = (raw: string, sign = true, secondsLater = 0) => {
      const ts = firstSecond + secondsLater;
      const headers: Record<string, string> = {
        "content-type": "application/json",
        "x-telephony-timestamp": String(ts),
      };
      headers["x-telephony-signature"] = sign ? signTelephonyBody(secret, ts, raw) : "v1=00";
      const request = new Request("http://localhost/api/telephony/calls", {
        method: "POST",
        headers,
        body: raw,
      });
      const context = {
        db: t.db,
        boss,
        config,
        requestId: "test",
        ip: "127.0.0.1",
        cspNonce: "",
        logger: createLogger({ level: "silent" }),
      };
      return telephonyAction({ request, context, params: {} } as unknown as Parameters<
        typeof telephonyAction
      >[0]);
    };
    const body = JSON.stringify({
      caller_number: "0611223344",
      ivr_choice: "3",
      at: new Date().toISOString(),
      call_id: "http-1",
    });
    const created = await post(body);
    expect(created.status).toBe(201);
    const { case_id } = (await created.json()) as { case_id: number };
    // The exact request again (same timestamp, same signature): a replay, refused before anything is read.
    const replayed = await post(body);
    expect(replayed.status).toBe(401);
    // The telephony server re-sending the call (signed anew): the call_id answers it, no second case.
    expect((await post(body, true, 2)).status).toBe(200);
    expect((await post(body, false)).status).toBe(401);
    const bad = await post(JSON.stringify({ caller_number: "x", ivr_choice: "3", at: "hier" }));
    expect(bad.status).toBe(400);
    expect(JSON.stringify(await bad.json())).toContain("at : date ISO 8601");
    const row = await t.db
      .selectFrom("helpline_case")
      .select(["type", "origin"])
      .where("id", "=", case_id)
      .executeTakeFirstOrThrow();
    expect(row).toEqual({ type: "letter_not_received", origin: "telephony" });
  });
});
