import { readFileSync } from "node:fs";
import path from "node:path";
import { sql } from "kysely";
import { afterAll, describe, expect, it } from "vitest";
import { issueCode, verifyCode } from "../../app/domain/codes/codes.server";
import { windowEnd } from "../../app/domain/lifecycle/window";
import type { CrashPoint } from "../../app/domain/waves/batch-run.server";
import { letterNotifiedAt } from "../../app/domain/waves/wave";
import { insertPersons } from "../factories";
import { setupTestDatabase } from "../setup/database";
import { startSmtpRelay, TLS_CA_FILE } from "../support/smtp-relay";
import {
  activeCodesPerPerson,
  CODE_IN_TEXT,
  deps,
  outboxFiles,
  pdfFiles,
  pdfPages,
  runWave,
  scheduledWave,
  setupBoss,
  waveConfig,
} from "./waves-support";

const t = setupTestDatabase();
const harness = setupBoss(t);

let offset = 0;
async function persons(count: number, departments: string[], emailShare = 0.5) {
  const ids = await insertPersons(t.db, { count, departments, emailShare, offset, seed: offset + 7 });
  offset += count;
  return ids;
}

/** Every letter and email of a wave, with the code each carries, mapped to the person it went to. */
async function deliveredCodes(config: ReturnType<typeof waveConfig>, waveId: number) {
  const letters: Array<{ page: string; code: string }> = [];
  for (const file of pdfFiles(config, waveId)) {
    for (const page of await pdfPages(file)) letters.push({ page, code: CODE_IN_TEXT.exec(page)?.[0] ?? "" });
  }
  const emails = outboxFiles(config).map((f) => {
    const text = readFileSync(path.join(config.outboxDir, f), "utf8");
    return { to: /^To: (.*)$/m.exec(text)?.[1]?.trim() ?? "", code: CODE_IN_TEXT.exec(text)?.[0] ?? "" };
  });
  return { letters, emails };
}

describe("a wave from materialisation to notification", () => {
  it("prints letters, sends emails, notifies everyone once with a valid code", async () => {
    const config = waveConfig();
    const ids = await persons(40, ["31", "44", "80"]);
    const waveId = await scheduledWave(
      t.db,
      harness.boss,
      { departments: ["31", "44", "80"] },
      { batchSize: 7 },
    );
    const d = deps(harness.boss, config);
    await runWave(t.db, d, waveId);

    const wave = await t.db.selectFrom("wave").selectAll().where("id", "=", waveId).executeTakeFirstOrThrow();
    expect(wave.status).toBe("completed");
    expect(wave.member_count).toBe(40);
    const members = await t.db.selectFrom("wave_member").selectAll().where("wave_id", "=", waveId).execute();
    expect(members.every((m) => !m.active)).toBe(true);
    const letters = members.filter((m) => m.channel === "letter");
    const emails = members.filter((m) => m.channel === "email");
    expect(letters.length + emails.length).toBe(40);
    expect(letters.every((m) => m.status === "handed_off")).toBe(true);
    expect(emails.every((m) => m.status === "sent")).toBe(true);

    const { letters: printed, emails: mailed } = await deliveredCodes(config, waveId);
    expect(printed).toHaveLength(letters.length);
    expect(mailed).toHaveLength(emails.length);
    const people = await t.db.selectFrom("person").selectAll().where("id", "in", ids).execute();
    for (const p of people) {
      expect(p.state).toBe("notified");
      const m = members.find((x) => x.person_id === p.id);
      if (!m) throw new Error("member missing");
      if (m.channel === "letter") {
        // Notified at presumed reception; window ends 42 days later at 23:59:59 Paris.
        expect(p.window_ends_at?.toISOString()).toBe(
          windowEnd(letterNotifiedAt(m.rendered_at as Date, 3), 42).toISOString(),
        );
      }
    }
    // Each delivered code is valid for exactly its person; nobody has two active codes.
    for (const e of mailed) {
      const p = people.find((x) => x.email === e.to);
      expect(p).toBeDefined();
      expect(await verifyCode(t.db, { config }, { personId: p?.id ?? 0, code: e.code })).toBe("valid");
    }
    const active = await activeCodesPerPerson(t.db, ids);
    expect([...active.values()].every((n) => n === 1)).toBe(true);
    expect(active.size).toBe(40);
    // The notification moved each code's expiry to the person's window end + grace: the code a member's
    // batch issued is found by (batch, person), members do not record it.
    const codes = await t.db
      .selectFrom("provisional_code")
      .select(["person_id", "expires_at", "batch_id"])
      .where("person_id", "in", ids)
      .where("revoked_at", "is", null)
      .execute();
    for (const c of codes) {
      const p = people.find((x) => x.id === c.person_id);
      const m = members.find((x) => x.person_id === c.person_id);
      expect(c.batch_id).toBe(m?.batch_id);
      const expected = (p?.window_ends_at?.getTime() ?? 0) + config.codeGraceDays * 86400_000;
      // ± 1 h: days are added in the server's time zone, across a possible change of summer time.
      expect(Math.abs(c.expires_at.getTime() - expected)).toBeLessThanOrEqual(3600_000);
    }
    const events = await sql<{ n: number }>`
      SELECT count(*)::int AS n FROM person_event WHERE wave_id = ${waveId} AND type = 'notify' AND source = 'job'
    `.execute(t.db);
    expect(events.rows[0].n).toBe(40);
    // Letters carry name, address and the window end written out in French; one page each.
    expect(printed[0].page).toMatch(/monespacesante\.fr/);
    expect(printed[0].page).toMatch(/34\s22/);
    expect(printed[0].page).toMatch(
      /(lundi|mardi|mercredi|jeudi|vendredi|samedi|dimanche)\s+\d{1,2}\s+\S+\s+\d{4}/,
    );
  });

  it("skips people already in an active wave and says why", async () => {
    await persons(10, ["2A"]);
    const first = await scheduledWave(t.db, harness.boss, { departments: ["2A"] });
    const second = await scheduledWave(t.db, harness.boss, { departments: ["2A"] });
    const w1 = await t.db.selectFrom("wave").selectAll().where("id", "=", first).executeTakeFirstOrThrow();
    const w2 = await t.db.selectFrom("wave").selectAll().where("id", "=", second).executeTakeFirstOrThrow();
    expect(w1.member_count).toBe(10);
    expect(w2.member_count).toBe(0);
    expect(w2.exclusions).toMatchObject({ in_active_wave: 10 });
  });

  it("replaces a code a never-notified person already holds (a regular batch inserts first, revokes if refused)", async () => {
    const config = waveConfig();
    const ids = await persons(12, ["2B"], 0);
    // A helpline-issued code the wave must revoke, held by a person in the middle of a batch.
    const earlier = await t.db
      .transaction()
      .execute((trx) =>
        issueCode(trx, { config }, { personId: ids[4], expiresAt: new Date(Date.now() + 86400_000) }),
      );
    const waveId = await scheduledWave(t.db, harness.boss, { departments: ["2B"] }, { batchSize: 5 });
    await runWave(t.db, deps(harness.boss, config), waveId);
    const active = await activeCodesPerPerson(t.db, ids);
    expect(active.size).toBe(12);
    expect([...active.values()].every((n) => n === 1)).toBe(true);
    expect(await verifyCode(t.db, { config }, { personId: ids[4], code: earlier.clearCode })).toBe("revoked");
    const reason = await t.db
      .selectFrom("provisional_code")
      .select("revoked_reason")
      .where("id", "=", earlier.codeId)
      .executeTakeFirstOrThrow();
    expect(reason.revoked_reason).toBe("new_notification");
  });
});

const LETTER_POINTS: CrashPoint[] = ["materialised", "codes_stored", "pdf_written", "rendered", "handed_off"];
const EMAIL_POINTS: CrashPoint[] = ["materialised", "codes_stored", "email_accepted", "sent"];

// The email crash tests run twice: into the outbox, and over real SMTP to a relay (test/support/smtp-relay.ts).
const relay = await startSmtpRelay();
afterAll(() => relay.close());

describe("crash at each batch state, then rerun", () => {
  for (const [channel, points] of [
    ["letter", LETTER_POINTS],
    ["email", EMAIL_POINTS],
    ["email over SMTP", EMAIL_POINTS],
  ] as const) {
    for (const point of points) {
      it(`${channel}: crash after ${point} → exactly one valid code and one message per person`, async () => {
        const smtp = channel === "email over SMTP";
        relay.reset();
        const config = smtp ? waveConfig({ SMTP_URL: relay.url, SMTP_CA_FILE: TLS_CA_FILE }) : waveConfig();
        const dept = String(10 + offset / 12).slice(0, 2);
        const ids = await persons(12, [dept], channel === "letter" ? 0 : 1);
        const waveId = await scheduledWave(t.db, harness.boss, { departments: [dept] }, { batchSize: 5 });
        const d = deps(harness.boss, config);
        let crashed = 0;
        await expect(
          runWave(t.db, d, waveId, {
            crashAt: (p) => {
              if (p === point && crashed++ === 0) throw new Error(`simulated crash after ${p}`);
            },
          }),
        ).rejects.toThrow(/simulated crash/);
        await runWave(t.db, d, waveId);
        const { letters, emails } = await deliveredCodes(config, waveId);
        const overSmtp = relay
          .messages()
          .map((m) => ({ to: m.to, code: CODE_IN_TEXT.exec(m.text)?.[0] ?? "" }));
        const delivered = channel === "letter" ? letters : smtp ? overSmtp : emails;
        expect(delivered).toHaveLength(12);
        expect(new Set(delivered.map((d) => ("to" in d ? d.to : d.page))).size).toBe(12);
        const active = await activeCodesPerPerson(t.db, ids);
        expect(active.size).toBe(12);
        expect([...active.values()].every((n) => n === 1)).toBe(true);
        // Every code that left is the stored, valid one of some person of the wave.
        let valid = 0;
        for (const item of delivered) {
          for (const id of ids)
            if ((await verifyCode(t.db, { config }, { personId: id, code: item.code })) === "valid") valid++;
        }
        if (valid !== 12) {
          const codes =
            await sql`SELECT c.person_id, c.revoked_reason, c.used_at, c.expires_at, c.revoked_at FROM provisional_code c WHERE person_id = ANY(${ids}::bigint[]) ORDER BY person_id, id`.execute(
              t.db,
            );
          console.log(JSON.stringify(codes.rows), JSON.stringify(delivered));
        }
        expect(valid).toBe(12);
        const events = await sql<{ n: number }>`
          SELECT count(*)::int AS n FROM person_event WHERE wave_id = ${waveId} AND type = 'notify'
        `.execute(t.db);
        expect(events.rows[0].n).toBe(12);
      });
    }
  }
});

describe("a member's code, found through its batch", () => {
  it("email: a code revoked between acceptance and recording still names the email, which is not sent twice", async () => {
    const config = waveConfig();
    const ids = await persons(6, ["63"], 1);
    const waveId = await scheduledWave(t.db, harness.boss, { departments: ["63"] }, { batchSize: 10 });
    const d = deps(harness.boss, config);
    let crashed = 0;
    await expect(
      runWave(t.db, d, waveId, {
        crashAt: (p) => {
          if (p === "email_accepted" && crashed++ === 0) throw new Error("simulated crash after acceptance");
        },
      }),
    ).rejects.toThrow(/simulated crash/);
    expect(outboxFiles(config)).toHaveLength(6);
    // Coded by their batch's state: the members themselves are still `planned`.
    const members = await t.db
      .selectFrom("wave_member")
      .select(["status", "batch_id"])
      .where("wave_id", "=", waveId)
      .execute();
    expect(members.map((m) => m.status)).toEqual(Array(6).fill("planned"));
    const batch = await t.db
      .selectFrom("wave_batch")
      .select("status")
      .where("id", "=", members[0].batch_id as number)
      .executeTakeFirstOrThrow();
    expect(batch.status).toBe("codes_stored");
    // A helpline reset revokes one person's wave code before the batch is resumed: the recovery must still
    // name that person's email by the revoked code (the idempotency key), find it accepted, and not resend.
    await t.db.transaction().execute((trx) =>
      issueCode(
        trx,
        { config },
        {
          personId: ids[0],
          expiresAt: new Date(Date.now() + 86400_000),
          reason: "helpline_reset",
        },
      ),
    );
    await runWave(t.db, d, waveId);
    expect(outboxFiles(config)).toHaveLength(6);
    const after = await t.db
      .selectFrom("wave_member")
      .select("status")
      .where("wave_id", "=", waveId)
      .execute();
    expect(after.map((m) => m.status)).toEqual(Array(6).fill("sent"));
    const events = await sql<{ n: number }>`
      SELECT count(*)::int AS n FROM person_event WHERE wave_id = ${waveId} AND type = 'notify'
    `.execute(t.db);
    expect(events.rows[0].n).toBe(6);
    const active = await activeCodesPerPerson(t.db, ids);
    expect([...active.values()]).toEqual(Array(6).fill(1));
  });
});
