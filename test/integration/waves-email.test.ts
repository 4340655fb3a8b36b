import { sql } from "kysely";
import { delay, HttpResponse, http } from "msw";
import { beforeEach, describe, expect, it } from "vitest";
import { createLogger } from "../../app/config/logger.server";
import { verifyCode } from "../../app/domain/codes/codes.server";
import { signedHeaders } from "../../app/domain/portal/signature";
import {
  createEmailProvider,
  EmailTransientError,
  retryAfterMs,
} from "../../app/domain/waves/email-provider.server";
import { action as emailEventsAction } from "../../app/routes/api.email.events";
import { insertPersons } from "../factories";
import { EMAIL_PROVIDER_URL, resetEmailProvider, sentEmails } from "../mocks/email-provider";
import { mockServer } from "../mocks/server";
import { setupTestDatabase } from "../setup/database";
import {
  activeCodesPerPerson,
  CODE_IN_TEXT,
  deps,
  pdfFiles,
  pdfPages,
  runWave,
  scheduledWave,
  setupBoss,
  waveConfig,
} from "./waves-support";

const t = setupTestDatabase();
const harness = setupBoss(t);
const config = waveConfig({ EMAIL_PROVIDER_URL, EMAIL_PROVIDER_TOKEN: "test-token" });
const noSleep = { sleep: async () => {}, timeoutMs: 200 };

beforeEach(() => resetEmailProvider());

let offset = 0;
let deptNo = 50;
async function emailWave(count: number) {
  const dept = String(deptNo++);
  const ids = await insertPersons(t.db, {
    count,
    departments: [dept],
    emailShare: 1,
    offset,
    seed: offset + 3,
  });
  offset += count;
  const waveId = await scheduledWave(
    t.db,
    harness.boss,
    { departments: [dept] },
    { emailCapacityPerHour: 3_600_000 },
  );
  return { ids, waveId };
}

const email = (key: string) => ({
  idempotencyKey: key,
  to: "a@exemple.fr",
  subject: "s",
  html: "<p>h</p>",
  text: "t",
});

describe("email provider client", () => {
  it("sends through the API with an idempotency key and a bearer token", async () => {
    const seen: Array<string | null> = [];
    mockServer.events.on("request:start", ({ request }) => {
      seen.push(request.headers.get("authorization"));
    });
    const p = createEmailProvider(config, noSleep);
    const r = await p.send(email("k-1"));
    expect(r).toMatchObject({
      kind: "accepted",
      messageId: expect.stringMatching(/^msg_/),
      duplicate: false,
    });
    expect(seen).toContain("Bearer test-token");
    expect(await p.lookup("k-1")).toMatchObject({ messageId: r.kind === "accepted" ? r.messageId : "" });
    expect(await p.lookup("k-unknown")).toBeNull();
    mockServer.events.removeAllListeners();
  });

  it("honours Retry-After on 429", async () => {
    let calls = 0;
    mockServer.use(
      http.post(`${EMAIL_PROVIDER_URL}/v1/messages`, () => {
        calls++;
        return calls === 1
          ? new HttpResponse(null, { status: 429, headers: { "Retry-After": "3" } })
          : undefined;
      }),
    );
    const waits: number[] = [];
    const p = createEmailProvider(config, { sleep: async (ms) => void waits.push(ms), timeoutMs: 200 });
    expect((await p.send(email("k-429"))).kind).toBe("accepted");
    expect(waits).toEqual([3000]);
    expect(retryAfterMs(new Date(Date.now() + 5000).toUTCString())).toBeGreaterThan(3000);
  });

  it("retries 5xx with backoff, then gives up with a transient error", async () => {
    let calls = 0;
    mockServer.use(
      http.post(`${EMAIL_PROVIDER_URL}/v1/messages`, () => {
        calls++;
        return calls <= 2 ? HttpResponse.json({ error: "oops" }, { status: 500 }) : undefined;
      }),
    );
    const p = createEmailProvider(config, noSleep);
    expect((await p.send(email("k-500"))).kind).toBe("accepted");
    expect(calls).toBe(3);
    mockServer.use(
      http.post(`${EMAIL_PROVIDER_URL}/v1/messages`, () => HttpResponse.json({}, { status: 503 })),
    );
    await expect(
      createEmailProvider(config, { ...noSleep, maxAttempts: 3 }).send(email("k-503")),
    ).rejects.toBeInstanceOf(EmailTransientError);
  });

  it("retries a timeout with the same key: the provider sends it once", async () => {
    let calls = 0;
    mockServer.use(
      http.post(`${EMAIL_PROVIDER_URL}/v1/messages`, async () => {
        calls++;
        if (calls === 1) await delay(400); // accepted by the provider, but too late for the client
        return undefined;
      }),
    );
    const p = createEmailProvider(config, noSleep);
    const r = await p.send(email("k-timeout"));
    expect(r.kind).toBe("accepted");
    await delay(400);
    expect(sentEmails.filter((e) => e.idempotencyKey === "k-timeout")).toHaveLength(1);
  });

  it("reports a 400 invalid address as a permanent rejection", async () => {
    mockServer.use(
      http.post(`${EMAIL_PROVIDER_URL}/v1/messages`, () =>
        HttpResponse.json({ error: "invalid_address" }, { status: 400 }),
      ),
    );
    const r = await createEmailProvider(config, noSleep).send(email("k-400"));
    expect(r).toMatchObject({ kind: "rejected", reason: "invalid_address" });
  });
});

describe("email waves against the provider", () => {
  it("sends one email per person and notifies at acceptance", async () => {
    const { ids, waveId } = await emailWave(6);
    await runWave(t.db, deps(harness.boss, config, createEmailProvider(config, noSleep)), waveId);
    expect(sentEmails).toHaveLength(6);
    expect(new Set(sentEmails.map((e) => e.idempotencyKey)).size).toBe(6);
    const members = await t.db.selectFrom("wave_member").selectAll().where("wave_id", "=", waveId).execute();
    expect(members.every((m) => m.status === "sent" && m.provider_message_id)).toBe(true);
    for (const e of sentEmails) {
      const code = CODE_IN_TEXT.exec(e.body.text)?.[0] ?? "";
      const person = await t.db
        .selectFrom("person")
        .select("id")
        .where("email", "=", e.body.to)
        .executeTakeFirstOrThrow();
      expect(await verifyCode(t.db, { config }, { personId: person.id, code })).toBe("valid");
      expect(e.body.html).toContain(code);
    }
    const active = await activeCodesPerPerson(t.db, ids);
    expect(active.size).toBe(6);
  });

  it("falls back to a letter with its own code when the provider says the address is invalid", async () => {
    const { ids, waveId } = await emailWave(4);
    const badEmail = (
      await t.db.selectFrom("person").select("email").where("id", "=", ids[1]).executeTakeFirstOrThrow()
    ).email;
    mockServer.use(
      http.post(`${EMAIL_PROVIDER_URL}/v1/messages`, async ({ request }) => {
        const body = (await request.clone().json()) as { to: string };
        return body.to === badEmail
          ? HttpResponse.json({ error: "invalid_address" }, { status: 400 })
          : undefined;
      }),
    );
    await runWave(t.db, deps(harness.boss, config, createEmailProvider(config, noSleep)), waveId);
    expect(sentEmails).toHaveLength(3);
    const fellBack = await t.db
      .selectFrom("wave_member")
      .selectAll()
      .where("person_id", "=", ids[1])
      .executeTakeFirstOrThrow();
    expect(fellBack).toMatchObject({ channel: "letter", status: "handed_off" });
    expect(fellBack.fell_back_at).not.toBeNull();
    const batch = await t.db
      .selectFrom("wave_batch")
      .selectAll()
      .where("id", "=", fellBack.batch_id ?? 0)
      .executeTakeFirstOrThrow();
    expect(batch.kind).toBe("fallback");
    const pages = (await Promise.all(pdfFiles(config, waveId).map((f) => pdfPages(f)))).flat();
    expect(pages).toHaveLength(1);
    const code = CODE_IN_TEXT.exec(pages[0])?.[0] ?? "";
    expect(await verifyCode(t.db, { config }, { personId: ids[1], code })).toBe("valid");
    const person = await t.db
      .selectFrom("person")
      .selectAll()
      .where("id", "=", ids[1])
      .executeTakeFirstOrThrow();
    expect(person.email_bounced_at).not.toBeNull();
    expect(person.state).toBe("notified");
    expect((await activeCodesPerPerson(t.db, ids)).get(ids[1])).toBe(1);
  });

  it("a provider outage fails the batch; the retry sends what was not accepted, never twice", async () => {
    const { ids, waveId } = await emailWave(8);
    let calls = 0;
    mockServer.use(
      http.post(`${EMAIL_PROVIDER_URL}/v1/messages`, () => {
        calls++;
        return calls > 3 ? HttpResponse.json({}, { status: 500 }) : undefined;
      }),
    );
    const d = deps(harness.boss, config, createEmailProvider(config, { ...noSleep, maxAttempts: 2 }));
    await expect(runWave(t.db, d, waveId)).rejects.toBeInstanceOf(EmailTransientError);
    const incidents = await t.db
      .selectFrom("wave_incident")
      .selectAll()
      .where("wave_id", "=", waveId)
      .execute();
    expect(incidents.some((i) => i.kind === "batch_error")).toBe(true);
    mockServer.resetHandlers();
    await runWave(t.db, deps(harness.boss, config, createEmailProvider(config, noSleep)), waveId);
    expect(sentEmails).toHaveLength(8);
    const perPerson = new Map<string, number>();
    for (const e of sentEmails) perPerson.set(e.body.to, (perPerson.get(e.body.to) ?? 0) + 1);
    expect([...perPerson.values()].every((n) => n === 1)).toBe(true);
    for (const e of sentEmails) {
      const person = await t.db
        .selectFrom("person")
        .select("id")
        .where("email", "=", e.body.to)
        .executeTakeFirstOrThrow();
      expect(
        await verifyCode(
          t.db,
          { config },
          {
            personId: person.id,
            code: CODE_IN_TEXT.exec(e.body.text)?.[0] ?? "",
          },
        ),
      ).toBe("valid");
    }
    expect((await activeCodesPerPerson(t.db, ids)).size).toBe(8);
  });
});

describe("provider webhook POST /api/email/events", () => {
  // Each post is signed at its own second: the provider re-sending an event signs it anew, and an exact
  // replay of a signed request is refused before anything is read (signed-request-replay.test.ts).
  let signedAt = Date.now();
  function post(body: unknown, secret = config.email.webhookSecret) {
    const raw = JSON.stringify(body);
    signedAt += 1000;
    const request = new Request("http://localhost/api/email/events", {
      method: "POST",
      headers: signedHeaders(secret, raw, new Date(signedAt)),
      body: raw,
    });
    const context = { db: t.db, boss: harness.boss, config, logger: createLogger({ level: "silent" }) };
    return emailEventsAction({ request, context: context as never, params: {} });
  }

  it("records delivery, ignores a duplicate, and moves a hard bounce to a letter", async () => {
    const { ids, waveId } = await emailWave(3);
    await runWave(t.db, deps(harness.boss, config, createEmailProvider(config, noSleep)), waveId);
    const members = await t.db
      .selectFrom("wave_member")
      .selectAll()
      .where("wave_id", "=", waveId)
      .orderBy("id")
      .execute();
    const delivered = {
      id: "ev-1",
      type: "delivered",
      message_id: members[0].provider_message_id,
      occurred_at: new Date().toISOString(),
    };
    const first = await post({ events: [delivered] });
    expect(first.status).toBe(200);
    expect(await first.json()).toMatchObject({ accepted: 1, duplicates: 0 });
    const again = await post({ events: [delivered] });
    expect(await again.json()).toMatchObject({ accepted: 0, duplicates: 1 });
    const bounce = {
      id: "ev-2",
      type: "bounced",
      bounce_type: "hard",
      message_id: members[1].provider_message_id,
      occurred_at: new Date().toISOString(),
    };
    expect(await (await post({ events: [bounce] })).json()).toMatchObject({ fellBack: 1 });
    expect(await (await post({ events: [bounce] })).json()).toMatchObject({ duplicates: 1, fellBack: 0 });
    const m0 = await t.db
      .selectFrom("wave_member")
      .selectAll()
      .where("id", "=", members[0].id)
      .executeTakeFirstOrThrow();
    expect(m0.delivered_at).not.toBeNull();
    const m1 = await t.db
      .selectFrom("wave_member")
      .selectAll()
      .where("id", "=", members[1].id)
      .executeTakeFirstOrThrow();
    expect(m1).toMatchObject({ channel: "letter", status: "planned" });
    // The bounced person's email code is revoked; the follow-up letter brings a new one.
    expect((await activeCodesPerPerson(t.db, [members[1].person_id])).size).toBe(0);
    await runWave(t.db, deps(harness.boss, config), waveId);
    expect((await activeCodesPerPerson(t.db, ids)).size).toBe(3);
    const events = await sql<{
      n: number;
    }>`SELECT count(*)::int AS n FROM person_event WHERE person_id = ${members[1].person_id} AND type = 'notify'`.execute(
      t.db,
    );
    expect(events.rows[0].n).toBe(2);
  });

  it("refuses a bad signature and a malformed body", async () => {
    const bad = await post({ events: [] }, "wrong-secret");
    expect(bad.status).toBe(401);
    const malformed = await post({ events: [] });
    expect(malformed.status).toBe(400);
    expect(await malformed.json()).toMatchObject({ error: expect.stringContaining("au moins un événement") });
  });
});
