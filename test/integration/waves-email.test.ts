import { sql } from "kysely";
import { afterAll, beforeEach, describe, expect, it } from "vitest";
import { createLogger } from "../../app/config/logger.server";
import { verifyCode } from "../../app/domain/codes/codes.server";
import { signedHeaders } from "../../app/domain/portal/signature";
import { createEmailProvider, EmailTransientError } from "../../app/domain/waves/email-provider.server";
import { action as emailEventsAction } from "../../app/routes/api.email.events";
import { insertPersons } from "../factories";
import { setupTestDatabase } from "../setup/database";
import { startSmtpRelay, TLS_CA_FILE } from "../support/smtp-relay";
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
// Every email goes over real SMTP to this relay (test/support/smtp-relay.ts).
const relay = await startSmtpRelay();
afterAll(() => relay.close());
const config = waveConfig({ SMTP_URL: relay.url, SMTP_CA_FILE: TLS_CA_FILE });
const noSleep = { sleep: async () => {} };
const sentEmails = () => relay.messages();

beforeEach(() => relay.reset());

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

describe("email waves against the provider", () => {
  it("sends one email per person and notifies at acceptance", async () => {
    const { ids, waveId } = await emailWave(6);
    await runWave(t.db, deps(harness.boss, config, createEmailProvider(t.db, config, noSleep)), waveId);
    expect(sentEmails()).toHaveLength(6);
    expect(new Set(sentEmails().map((e) => e.messageId)).size).toBe(6);
    const members = await t.db.selectFrom("wave_member").selectAll().where("wave_id", "=", waveId).execute();
    expect(members.every((m) => m.status === "sent" && m.provider_message_id)).toBe(true);
    // Each member's Message-ID is the one the relay received, so a bounce finds its member.
    expect(new Set(members.map((m) => m.provider_message_id))).toEqual(
      new Set(sentEmails().map((e) => e.messageId)),
    );
    for (const e of sentEmails()) {
      const code = CODE_IN_TEXT.exec(e.text)?.[0] ?? "";
      const person = await t.db
        .selectFrom("person")
        .select("id")
        .where("email", "=", e.to)
        .executeTakeFirstOrThrow();
      expect(await verifyCode(t.db, { config }, { personId: person.id, code })).toBe("valid");
      expect(e.html).toContain(code);
    }
    const active = await activeCodesPerPerson(t.db, ids);
    expect(active.size).toBe(6);
  });

  it("falls back to a letter with its own code when the provider says the address is invalid", async () => {
    const { ids, waveId } = await emailWave(4);
    const badEmail = (
      await t.db.selectFrom("person").select("email").where("id", "=", ids[1]).executeTakeFirstOrThrow()
    ).email;
    relay.fail("no_mailbox", { recipient: badEmail ?? "" });
    await runWave(t.db, deps(harness.boss, config, createEmailProvider(t.db, config, noSleep)), waveId);
    expect(sentEmails()).toHaveLength(3);
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
    // Three accepted, then the relay greylists everything: the batch fails transiently.
    relay.fail("greylist", { after: 3, times: 1000 });
    const d = deps(harness.boss, config, createEmailProvider(t.db, config, { ...noSleep, maxAttempts: 2 }));
    await expect(runWave(t.db, d, waveId)).rejects.toBeInstanceOf(EmailTransientError);
    const incidents = await t.db
      .selectFrom("wave_incident")
      .selectAll()
      .where("wave_id", "=", waveId)
      .execute();
    expect(incidents.some((i) => i.kind === "batch_error")).toBe(true);
    expect(sentEmails()).toHaveLength(3);
    relay.clearFaults();
    await runWave(t.db, deps(harness.boss, config, createEmailProvider(t.db, config, noSleep)), waveId);
    expect(sentEmails()).toHaveLength(8);
    const sentMembers = await t.db
      .selectFrom("wave_member")
      .select("status")
      .where("wave_id", "=", waveId)
      .execute();
    expect(sentMembers.every((m) => m.status === "sent")).toBe(true);
    const perPerson = new Map<string, number>();
    for (const e of sentEmails()) perPerson.set(e.to, (perPerson.get(e.to) ?? 0) + 1);
    expect([...perPerson.values()].every((n) => n === 1)).toBe(true);
    for (const e of sentEmails()) {
      const person = await t.db
        .selectFrom("person")
        .select("id")
        .where("email", "=", e.to)
        .executeTakeFirstOrThrow();
      expect(
        await verifyCode(
          t.db,
          { config },
          {
            personId: person.id,
            code: CODE_IN_TEXT.exec(e.text)?.[0] ?? "",
          },
        ),
      ).toBe("valid");
    }
    expect((await activeCodesPerPerson(t.db, ids)).size).toBe(8);
  });

  it("a connection lost after DATA leaves that person unknown: not notified, never resent, an incident says so", async () => {
    const { ids, waveId } = await emailWave(5);
    const lost = (
      await t.db.selectFrom("person").select("email").where("id", "=", ids[2]).executeTakeFirstOrThrow()
    ).email;
    relay.fail("drop_after_data", { recipient: lost ?? "" });
    await runWave(t.db, deps(harness.boss, config, createEmailProvider(t.db, config, noSleep)), waveId);
    expect(sentEmails().map((e) => e.to)).not.toContain(lost);
    expect(sentEmails()).toHaveLength(4);
    const member = await t.db
      .selectFrom("wave_member")
      .selectAll()
      .where("wave_id", "=", waveId)
      .where("person_id", "=", ids[2])
      .executeTakeFirstOrThrow();
    expect(member.status).toBe("failed");
    expect(member.error).toContain("issue inconnue");
    expect(member.provider_message_id).toMatch(/^mes-ops-notif-\d+-\d+@info\.ameli\.fr$/);
    const person = await t.db
      .selectFrom("person")
      .select("state")
      .where("id", "=", ids[2])
      .executeTakeFirstOrThrow();
    expect(person.state).not.toBe("notified");
    // Its code stands (it may be in the mailbox); the others are notified.
    expect((await activeCodesPerPerson(t.db, ids)).size).toBe(5);
    const incidents = await t.db
      .selectFrom("wave_incident")
      .selectAll()
      .where("wave_id", "=", waveId)
      .execute();
    expect(incidents.map((i) => i.kind)).toContain("email_unknown");
    // The relay behaves again, the wave is run again: nothing more leaves for that person.
    relay.clearFaults();
    await runWave(t.db, deps(harness.boss, config, createEmailProvider(t.db, config, noSleep)), waveId);
    expect(sentEmails()).toHaveLength(4);
  });
});

describe("a worker that dies with emails in flight", () => {
  it("reads the ledger on restart: accepted ones stand, the one in flight is unknown and never resent", async () => {
    const { ids, waveId } = await emailWave(6);
    const d = deps(harness.boss, config, createEmailProvider(t.db, config, noSleep));
    let crashed = 0;
    await expect(
      runWave(t.db, d, waveId, {
        crashAt: (p) => {
          if (p === "email_accepted" && crashed++ === 0) throw new Error("simulated crash");
        },
      }),
    ).rejects.toThrow(/simulated crash/);
    expect(sentEmails()).toHaveLength(6);
    // One message's reply never made it to the ledger (the process died between the relay's 250 and the update).
    const inFlight = sentEmails()[0];
    await t.db
      .updateTable("email_submission")
      .set({ state: "submitting", decided_at: null })
      .where("message_id", "=", inFlight.messageId)
      .execute();
    await runWave(t.db, deps(harness.boss, config, createEmailProvider(t.db, config, noSleep)), waveId);
    expect(sentEmails()).toHaveLength(6);
    const members = await t.db
      .selectFrom("wave_member")
      .select(["status", "provider_message_id"])
      .where("wave_id", "=", waveId)
      .execute();
    expect(members.filter((m) => m.status === "sent")).toHaveLength(5);
    expect(members.filter((m) => m.status === "failed").map((m) => m.provider_message_id)).toEqual([
      inFlight.messageId,
    ]);
    expect((await activeCodesPerPerson(t.db, ids)).size).toBe(6);
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
    await runWave(t.db, deps(harness.boss, config, createEmailProvider(t.db, config, noSleep)), waveId);
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
