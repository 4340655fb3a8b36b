import { sql } from "kysely";
import { describe, expect, it } from "vitest";
import { BatchBusyError, runBatch } from "../../app/domain/waves/batch-run.server";
import { notifyMembers } from "../../app/domain/waves/notify.server";
import { queueSingleNotification } from "../../app/domain/waves/single.server";
import { cancelWave, pauseWave, resumeWave, WaveError } from "../../app/domain/waves/waves.server";
import { insertPersons } from "../factories";
import { setupTestDatabase } from "../setup/database";
import {
  activeCodesPerPerson,
  actor,
  deps,
  outboxFiles,
  pdfFiles,
  runWave,
  scheduledWave,
  setupBoss,
  waveConfig,
} from "./waves-support";

const t = setupTestDatabase();
const harness = setupBoss(t);

let offset = 0;
async function persons(count: number, department: string, emailShare = 0) {
  const ids = await insertPersons(t.db, {
    count,
    departments: [department],
    emailShare,
    offset,
    seed: offset + 11,
  });
  offset += count;
  return ids;
}

async function batchesOf(waveId: number) {
  return t.db.selectFrom("wave_batch").selectAll().where("wave_id", "=", waveId).orderBy("number").execute();
}

describe("pause, resume, cancel", () => {
  it("a paused wave sends nothing until resumed; jobs come back on resume", async () => {
    const config = waveConfig();
    const ids = await persons(10, "60");
    const waveId = await scheduledWave(t.db, harness.boss, { departments: ["60"] }, { batchSize: 5 });
    await pauseWave(t.db, actor, waveId);
    const d = deps(harness.boss, config);
    for (const b of await batchesOf(waveId))
      expect(await runBatch(t.db, d, { batchId: b.id })).toBe("paused");
    expect(pdfFiles(config, waveId)).toHaveLength(0);
    await resumeWave(t.db, { boss: harness.boss }, actor, waveId);
    const jobs = await sql<{ n: number }>`
      SELECT count(*)::int AS n FROM pgboss.job WHERE name = 'wave-batch' AND singleton_key LIKE 'wave-batch:%' AND state = 'created'
        AND (data->>'batchId')::bigint = ANY(${(await batchesOf(waveId)).map((b) => b.id)}::bigint[])
    `.execute(t.db);
    expect(jobs.rows[0].n).toBe(2); // one queued job per batch, the resume's duplicate dropped by the singleton key
    await runWave(t.db, d, waveId);
    expect(
      (await t.db.selectFrom("wave").select("status").where("id", "=", waveId).executeTakeFirstOrThrow())
        .status,
    ).toBe("completed");
    expect((await activeCodesPerPerson(t.db, ids)).size).toBe(10);
    const audit = await t.db
      .selectFrom("audit_log")
      .select("action")
      .where("object_id", "=", String(waveId))
      .execute();
    expect(audit.map((a) => a.action)).toEqual(
      expect.arrayContaining([
        "wave.created",
        "wave.scheduled",
        "wave.materialised",
        "wave.paused",
        "wave.resumed",
        "wave.completed",
      ]),
    );
  });

  it("cancel stops unsent batches, revokes their codes, keeps what left and reports it", async () => {
    const config = waveConfig();
    const ids = await persons(15, "61");
    const waveId = await scheduledWave(t.db, harness.boss, { departments: ["61"] }, { batchSize: 5 });
    const d = deps(harness.boss, config);
    const [first, second] = await batchesOf(waveId);
    await runBatch(t.db, d, { batchId: first.id }); // handed off
    // The second batch crashes right after storing its codes.
    await expect(
      runBatch(t.db, d, {
        batchId: second.id,
        crashAt: (p) => {
          if (p === "codes_stored") throw new Error("crash");
        },
      }),
    ).rejects.toThrow("crash");
    const report = await cancelWave(t.db, actor, waveId);
    expect(report).toMatchObject({
      cancelledBatches: 2,
      cancelledMembers: 10,
      alreadySent: 5,
      stillRunning: 0,
    });
    for (const b of await batchesOf(waveId))
      if (b.id !== first.id) expect(await runBatch(t.db, d, { batchId: b.id })).toBe("skipped");
    const active = await activeCodesPerPerson(t.db, ids);
    expect(active.size).toBe(5); // only the letters that left keep a valid code
    const people = await t.db.selectFrom("person").select(["id", "state"]).where("id", "in", ids).execute();
    expect(people.filter((p) => p.state === "notified")).toHaveLength(5);
    const members = await t.db
      .selectFrom("wave_member")
      .select("active")
      .where("wave_id", "=", waveId)
      .execute();
    expect(members.every((m) => !m.active)).toBe(true);
    await expect(cancelWave(t.db, actor, waveId)).rejects.toBeInstanceOf(WaveError);
    // Freed persons can join a new wave.
    const again = await scheduledWave(t.db, harness.boss, { departments: ["61"] });
    const w = await t.db
      .selectFrom("wave")
      .select(["member_count", "exclusions"])
      .where("id", "=", again)
      .executeTakeFirstOrThrow();
    expect(w.member_count).toBe(10);
    expect(w.exclusions).toMatchObject({ already_notified: 5 });
  });
});

describe("a killed worker", () => {
  it("leaves its lease: another worker waits for it to expire, then resumes with one valid code each", async () => {
    const config = waveConfig();
    const ids = await persons(5, "64");
    const waveId = await scheduledWave(t.db, harness.boss, { departments: ["64"] });
    const d = deps(harness.boss, config);
    const [batch] = await batchesOf(waveId);
    await expect(
      runBatch(t.db, d, {
        batchId: batch.id,
        crashAt: (p) => {
          if (p === "pdf_written") throw new Error("killed");
        },
      }),
    ).rejects.toThrow("killed");
    // A kill releases nothing: put the lease back as the dead worker left it.
    await sql`UPDATE wave_batch SET lease_owner = 'dead-worker', lease_until = now() + interval '10 minutes' WHERE id = ${batch.id}`.execute(
      t.db,
    );
    await expect(runBatch(t.db, d, { batchId: batch.id })).rejects.toBeInstanceOf(BatchBusyError);
    await sql`UPDATE wave_batch SET lease_until = now() - interval '1 second' WHERE id = ${batch.id}`.execute(
      t.db,
    );
    expect(await runBatch(t.db, d, { batchId: batch.id })).toBe("done");
    const active = await activeCodesPerPerson(t.db, ids);
    expect(active.size).toBe(5);
    expect([...active.values()].every((n) => n === 1)).toBe(true);
    expect(pdfFiles(config, waveId)).toHaveLength(1);
    const incidents = await t.db
      .selectFrom("wave_incident")
      .select("kind")
      .where("wave_id", "=", waveId)
      .execute();
    expect(incidents.map((i) => i.kind)).toEqual(expect.arrayContaining(["batch_error", "codes_reissued"]));
  });
});

describe("single notifications (helpline)", () => {
  it("sends one letter with a new code, revoking the old one, and keeps the window of a notified person", async () => {
    const config = waveConfig();
    const [personId] = await persons(1, "62");
    const waveId = await scheduledWave(t.db, harness.boss, { departments: ["62"] });
    await runWave(t.db, deps(harness.boss, config), waveId);
    const before = await t.db
      .selectFrom("person")
      .selectAll()
      .where("id", "=", personId)
      .executeTakeFirstOrThrow();
    const queued = await t.db
      .transaction()
      .execute((trx) =>
        queueSingleNotification(
          trx,
          { boss: harness.boss },
          { personId, channel: "letter", reason: "resend" },
        ),
      );
    expect(queued.ok).toBe(true);
    if (!queued.ok) return;
    expect(await runBatch(t.db, deps(harness.boss, config), { batchId: queued.batchId })).toBe("done");
    const after = await t.db
      .selectFrom("person")
      .selectAll()
      .where("id", "=", personId)
      .executeTakeFirstOrThrow();
    expect(after.window_ends_at?.toISOString()).toBe(before.window_ends_at?.toISOString());
    expect((await activeCodesPerPerson(t.db, [personId])).get(personId)).toBe(1);
    const codes = await t.db
      .selectFrom("provisional_code")
      .selectAll()
      .where("person_id", "=", personId)
      .orderBy("id")
      .execute();
    expect(codes).toHaveLength(2);
    expect(codes[0].revoked_at).not.toBeNull();
    const noEmail = await t.db
      .transaction()
      .execute((trx) =>
        queueSingleNotification(
          trx,
          { boss: harness.boss },
          { personId, channel: "email", reason: "resend" },
        ),
      );
    expect(noEmail).toMatchObject({ ok: false, code: "no_email" });
    expect(outboxFiles(config)).toHaveLength(0);
  });
});

describe("notification across the DST change", () => {
  it("ends the window at 23:59:59 Paris, in summer time after a winter notification", async () => {
    const [personId] = await persons(1, "63");
    const batch = await t.db
      .insertInto("wave_batch")
      .values({
        wave_id: null,
        kind: "single",
        channel: "email",
        number: 1,
        day: "2022-03-01",
        not_before: new Date(),
      })
      .returning("id")
      .executeTakeFirstOrThrow();
    const member = await t.db
      .insertInto("wave_member")
      .values({ wave_id: null, batch_id: batch.id, person_id: personId, channel: "email", active: false })
      .returning("id")
      .executeTakeFirstOrThrow();
    // Notified Sunday 13 February 2022 at 23:30 Paris (22:30 UTC): the window ends Sunday 27 March, the day
    // clocks go forward, at 23:59:59 CEST = 21:59:59 UTC.
    const n = await t.db.transaction().execute((trx) =>
      notifyMembers(trx, {
        waveId: null,
        batchId: batch.id,
        channel: "email",
        members: [{ memberId: member.id, notifiedAt: new Date("2022-02-13T22:30:00Z") }],
        windowDays: 42,
        codeGraceDays: 14,
        at: new Date(),
        memberStatus: "sent",
      }),
    );
    expect(n).toBe(1);
    const p = await t.db
      .selectFrom("person")
      .selectAll()
      .where("id", "=", personId)
      .executeTakeFirstOrThrow();
    expect(p.state).toBe("notified");
    expect(p.window_ends_at?.toISOString()).toBe("2022-03-27T21:59:59.000Z");
    const ev = await t.db.selectFrom("person_event").selectAll().where("person_id", "=", personId).execute();
    expect(ev).toHaveLength(1);
    expect(ev[0]).toMatchObject({
      type: "notify",
      source: "job",
      from_state: "pending",
      to_state: "notified",
    });
  });
});
