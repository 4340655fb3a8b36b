import { afterAll, beforeEach, describe, expect, it } from "vitest";
import { verifyCode } from "../../app/domain/codes/codes.server";
import { createEmailProvider, EmailTransientError } from "../../app/domain/waves/email-provider.server";
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
