import { sql } from "kysely";
import type PgBoss from "pg-boss";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLogger } from "../../app/config/logger.server";
import {
  catchUpDeadlines,
  lastCatchUpReport,
  planDeadlines,
  postponeDeadlines,
  sweepBatch,
  sweepDeadlineDay,
} from "../../app/domain/lifecycle/deadlines.server";
import { endOfParisDay, parisDate } from "../../app/domain/lifecycle/paris-time";
import { applyTransition } from "../../app/domain/lifecycle/transition.server";
import { WINDOW_END_SQL, windowEnd } from "../../app/domain/lifecycle/window";
import { createBoss, startBoss } from "../../app/infra/job-client.server";
import { createDb } from "../../db/connection";
import { deadlinePlanner } from "../../jobs/deadline-planner";
import { deadlineSweep } from "../../jobs/deadline-sweep";
import { insertPersons } from "../factories";
import { setupTestDatabase } from "../setup/database";
import { DAY_MS, expectRollupsMatchPersons, stateCounts } from "./lifecycle-support";

const t = setupTestDatabase();
let boss: PgBoss;
const actor = { userId: null, label: "campagne@test", requestId: "req-1", ip: "127.0.0.1" };

beforeAll(async () => {
  boss = createBoss(t.url, createLogger({ level: "silent" }));
  await startBoss(boss);
}, 60_000);

afterAll(async () => {
  await boss?.stop({ graceful: false, wait: true });
});

let offset = 0;
async function persons(count: number, windowEndsAt: Date, state: "notified" | "pending" = "notified") {
  const ids = await insertPersons(t.db, {
    count,
    state,
    offset,
    notifiedAt: new Date(windowEndsAt.getTime() - 42 * DAY_MS),
    windowEndsAt,
  });
  offset += count;
  return ids;
}

async function reset() {
  await sql`TRUNCATE person, person_event, provisional_code, wave_member CASCADE`.execute(t.ownerDb);
  await sql`DELETE FROM pgboss.job WHERE name LIKE 'deadline-%'`.execute(t.db);
  await sql`DELETE FROM funnel_daily_rollup; DELETE FROM funnel_daily_delta`.execute(t.db);
}

describe("window end in SQL and in TypeScript agree across DST", () => {
  it("gives 23:59:59 Paris on the 42nd day around the spring and autumn changes", async () => {
    const instants = [
      "2022-02-13T10:00:00Z", // window crosses 27 March 2022 (spring forward)
      "2022-03-26T22:30:00Z", // notified 23:30 Paris the evening before the change
      "2022-09-18T21:59:59Z", // window ends 30 Oct 2022, the autumn change day
      "2022-10-30T00:30:00Z", // notified during the repeated hour
      "2022-12-31T23:00:00Z",
    ];
    for (const iso of instants) {
      const r = await sql<{
        end: Date;
      }>`SELECT ${sql.raw(WINDOW_END_SQL(`'${iso}'::timestamptz`, "42"))} AS end`.execute(t.db);
      expect(r.rows[0].end.toISOString(), iso).toBe(windowEnd(new Date(iso)).toISOString());
    }
    expect(windowEnd(new Date("2022-09-18T21:59:59Z")).toISOString()).toBe("2022-10-30T22:59:59.000Z");
    expect(windowEnd(new Date("2022-02-13T10:00:00Z")).toISOString()).toBe("2022-03-27T21:59:59.000Z");
  });
});

describe("deadline sweep", () => {
  it("auto-creates exactly the due persons across batch boundaries, one event each, rollups in step", async () => {
    await reset();
    const due = endOfParisDay(parisDate(new Date(Date.now() - 3 * DAY_MS)));
    const dueIds = await persons(21, due);
    const later = await persons(5, new Date(Date.now() + 5 * DAY_MS));
    const pending = await persons(3, due, "pending");
    const result = await sweepDeadlineDay(t.db, { day: parisDate(due), batchSize: 10 });
    expect(result).toMatchObject({ autoCreated: 21, batches: 3, stillLocked: 0 });
    const counts = await stateCounts(t.db);
    expect(counts).toEqual({ auto_created: 21, notified: 5, pending: 3 });
    const events = await sql<{ person_id: number; at: Date }>`
      SELECT person_id, at FROM person_event WHERE type = 'auto_create' ORDER BY person_id`.execute(t.db);
    expect(events.rows.map((e) => e.person_id)).toEqual(dueIds);
    expect(events.rows[0].at.toISOString()).toBe(due.toISOString());
    expect(later.length + pending.length).toBe(8);
    // A second run finds nothing to do.
    expect((await sweepDeadlineDay(t.db, { day: parisDate(due), batchSize: 10 })).autoCreated).toBe(0);
    await expectRollupsMatchPersons(t.db);
    const daily = await sql<{ n: number }>`
      SELECT sum(n)::int AS n FROM funnel_daily WHERE state_from = 'notified' AND state_to = 'auto_created'
        AND day = ${parisDate(due)}::date`.execute(t.db);
    expect(daily.rows[0].n).toBe(21);
  });

  it("never creates a space whose window is not over, even when asked for a future day", async () => {
    await reset();
    await persons(4, new Date(Date.now() + 2 * 3600_000));
    const r = await sweepDeadlineDay(t.db, { day: parisDate(new Date(Date.now() + 2 * DAY_MS)) });
    expect(r.autoCreated).toBe(0);
    expect(await stateCounts(t.db)).toEqual({ notified: 4 });
  });

  it("is restartable: a crash after two batches, then a rerun, gives exact counts", async () => {
    await reset();
    const due = endOfParisDay(parisDate(new Date(Date.now() - 2 * DAY_MS)));
    await persons(57, due);
    await expect(
      sweepDeadlineDay(t.db, {
        day: parisDate(due),
        batchSize: 10,
        lanes: 1, // one lane, so that "after two batches" is exact
        onBatch: ({ index }) => {
          if (index === 2) throw new Error("worker killed");
        },
      }),
    ).rejects.toThrow("worker killed");
    expect((await stateCounts(t.db)).auto_created).toBe(20);
    const rerun = await sweepDeadlineDay(t.db, { day: parisDate(due), batchSize: 10 });
    expect(rerun.autoCreated).toBe(37);
    expect(await stateCounts(t.db)).toEqual({ auto_created: 57 });
    const dup = await sql<{ n: number }>`
      SELECT count(*)::int AS n FROM (SELECT person_id FROM person_event WHERE type = 'auto_create'
        GROUP BY person_id HAVING count(*) > 1) d`.execute(t.db);
    expect(dup.rows[0].n).toBe(0);
    await expectRollupsMatchPersons(t.db);
  });

  it("is restartable when the database connection dies in the middle of a batch statement", async () => {
    await reset();
    const due = endOfParisDay(parisDate(new Date(Date.now() - 2 * DAY_MS)));
    await persons(30, due);
    const victim = createDb(t.url, 1);
    await sql`SELECT pg_sleep(0)`.execute(victim.db);
    const pid = await sql<{ pid: number }>`SELECT pg_backend_pid() AS pid`.execute(victim.db);
    // Hold the batch open with a lock so the statement is mid-flight when the backend is killed.
    // As the owner: the application role may only insert into person_event, not lock it exclusively.
    const owner = createDb(t.ownerUrl, 1);
    const holder = await owner.pool.connect();
    await holder.query("BEGIN");
    await holder.query("LOCK TABLE person_event IN EXCLUSIVE MODE");
    const running = sweepDeadlineDay(victim.db, { day: parisDate(due), batchSize: 10 }).catch(
      (e: Error) => e,
    );
    await new Promise((r) => setTimeout(r, 300));
    await sql`SELECT pg_terminate_backend(${pid.rows[0].pid})`.execute(t.db);
    await holder.query("ROLLBACK");
    holder.release();
    expect(await running).toBeInstanceOf(Error);
    await victim.db.destroy().catch(() => undefined);
    await owner.db.destroy();
    expect((await stateCounts(t.db)).auto_created ?? 0).toBe(0);
    const rerun = await sweepDeadlineDay(t.db, { day: parisDate(due), batchSize: 10 });
    expect(rerun.autoCreated).toBe(30);
    const events = await sql<{
      n: number;
    }>`SELECT count(*)::int AS n FROM person_event WHERE type = 'auto_create'`.execute(t.db);
    expect(events.rows[0].n).toBe(30);
    await expectRollupsMatchPersons(t.db);
  });
});

describe("an opposition racing with the sweep (two connections)", () => {
  it("sweep commits first: the opposition then closes the created space, nothing is lost", async () => {
    await reset();
    const due = endOfParisDay(parisDate(new Date(Date.now() - DAY_MS)));
    const [target, ...others] = await persons(5, due);
    const other = createDb(t.url, 2);
    try {
      let opposition: Promise<unknown> | null = null;
      await t.db.transaction().execute(async (trx) => {
        const r = await sweepBatch(trx, { dayEnd: due, afterId: 0, limit: 100, day: parisDate(due) });
        expect(r.autoCreated).toBe(5);
        // The second connection tries to oppose while the sweep's transaction is still open: it waits.
        opposition = other.db
          .transaction()
          .execute((trx2) =>
            applyTransition(trx2, { personId: target, event: "oppose", at: new Date(), source: "helpline" }),
          );
        await new Promise((r) => setTimeout(r, 200));
      });
      const result = await opposition;
      expect(result).toMatchObject({ ok: true, from: "auto_created", to: "closed" });
    } finally {
      await other.db.destroy();
    }
    expect(await stateCounts(t.db)).toEqual({ auto_created: 4, closed: 1 });
    expect(others.length).toBe(4);
    await expectRollupsMatchPersons(t.db);
  });

  it("opposition commits first: the sweep skips the locked row, then finds it opposed", async () => {
    await reset();
    const due = endOfParisDay(parisDate(new Date(Date.now() - DAY_MS)));
    const [target] = await persons(6, due);
    const other = createDb(t.url, 2);
    try {
      const sweeps: Array<Promise<{ autoCreated: number }>> = [];
      const result = await other.db.transaction().execute(async (trx2) => {
        const r = await applyTransition(trx2, {
          personId: target,
          event: "oppose",
          at: new Date(),
          source: "portal",
        });
        // The sweep runs on the first connection while the opposition holds its row.
        sweeps.push(sweepDeadlineDay(t.db, { day: parisDate(due), batchSize: 2 }));
        await new Promise((res) => setTimeout(res, 300));
        return r;
      });
      expect(result, JSON.stringify(result)).toMatchObject({ ok: true, to: "opposed" });
      expect((await sweeps[0]).autoCreated).toBe(5);
    } finally {
      await other.db.destroy();
    }
    expect(await stateCounts(t.db)).toEqual({ auto_created: 5, opposed: 1 });
    const events = await sql<{ type: string; n: number }>`
      SELECT type, count(*)::int AS n FROM person_event WHERE person_id = ${target} GROUP BY type`.execute(
      t.db,
    );
    expect(events.rows).toEqual([{ type: "oppose", n: 1 }]);
    await expectRollupsMatchPersons(t.db);
  });

  it("many concurrent oppositions during a sweep: final counts add up (no lost update)", async () => {
    await reset();
    const due = endOfParisDay(parisDate(new Date(Date.now() - DAY_MS)));
    const ids = await persons(600, due);
    const other = createDb(t.url, 8);
    try {
      const targets = ids.filter((_, i) => i % 4 === 0);
      const sweep = sweepDeadlineDay(t.db, { day: parisDate(due), batchSize: 50 });
      const results = await Promise.all(
        targets.map((personId) =>
          other.db
            .transaction()
            .execute((trx) =>
              applyTransition(trx, { personId, event: "oppose", at: new Date(), source: "portal" }),
            ),
        ),
      );
      const swept = await sweep;
      const opposedFirst = results.filter((r) => r.ok && r.to === "opposed").length;
      const closedAfter = results.filter((r) => r.ok && r.to === "closed").length;
      expect(opposedFirst + closedAfter).toBe(targets.length);
      const counts = await stateCounts(t.db);
      expect(counts.opposed ?? 0).toBe(opposedFirst);
      expect(counts.closed ?? 0).toBe(closedAfter);
      expect(swept.autoCreated).toBe(600 - opposedFirst);
      expect((counts.auto_created ?? 0) + (counts.closed ?? 0)).toBe(swept.autoCreated);
    } finally {
      await other.db.destroy();
    }
    await expectRollupsMatchPersons(t.db);
  });
});

describe("planning, postponing and catching up", () => {
  it("plans one sweep per day with notified persons, once (singleton key per day)", async () => {
    await reset();
    const d1 = endOfParisDay(parisDate(new Date(Date.now() + 3 * DAY_MS)));
    const d2 = endOfParisDay(parisDate(new Date(Date.now() + 10 * DAY_MS)));
    await persons(3, d1);
    await persons(2, d2);
    await persons(2, new Date(Date.now() - 5 * DAY_MS)); // overdue: the catch-up's business
    const first = await planDeadlines(t.db, { boss });
    expect(first.map((p) => [p.day, p.persons, p.queued])).toEqual([
      [parisDate(d1), 3, true],
      [parisDate(d2), 2, true],
    ]);
    const second = await planDeadlines(t.db, { boss });
    expect(second.every((p) => !p.queued)).toBe(true);
    const jobs = await sql<{ key: string; start: Date }>`
      SELECT singleton_key AS key, start_after AS start FROM pgboss.job WHERE name = 'deadline-sweep' ORDER BY 1`.execute(
      t.db,
    );
    expect(jobs.rows.map((j) => j.key)).toEqual([`deadline:${parisDate(d1)}`, `deadline:${parisDate(d2)}`]);
    // Starts at the first instant after the day ends.
    expect(jobs.rows[0].start.getTime()).toBe(d1.getTime() + 1000);
  });

  it("postpones a department's deadlines: only its notified persons with an open window move", async () => {
    await reset();
    const end = new Date("2026-10-24T21:59:59Z");
    const corsica = await persons(3, end);
    const others = await persons(2, end);
    const pending = await persons(1, end, "pending");
    await sql`UPDATE person SET department = '2A' WHERE id = ANY(${[...corsica, ...pending]}::bigint[])`.execute(
      t.db,
    );
    await sql`UPDATE person SET department = '2B' WHERE id = ANY(${others}::bigint[])`.execute(t.db);
    const result = await t.db.transaction().execute((trx) =>
      postponeDeadlines(trx, { boss, now: new Date("2026-10-01T10:00:00Z") }, actor, {
        scope: { kind: "department", department: "2A" },
        days: 2,
        reason: "tempête",
      }),
    );
    expect(result.moved).toBe(3);
    const moved = await sql<{ id: number }>`
      SELECT id FROM person WHERE window_ends_at = ${new Date("2026-10-26T22:59:59Z")} ORDER BY id`.execute(
      t.db,
    );
    expect(moved.rows.map((r) => r.id)).toEqual([...corsica].sort((a, b) => a - b));
    await expectRollupsMatchPersons(t.db);
  });

  it("postpones a wave's deadline by N days: windows, codes and jobs move; reason audited", async () => {
    await reset();
    const wave = await sql<{ id: number }>`
      INSERT INTO wave (name, segment, settings) VALUES ('Vague test', '{}'::jsonb, '{}'::jsonb) RETURNING id`.execute(
      t.db,
    );
    const waveId = wave.rows[0].id;
    // Window ends the day before the autumn DST change; moved by 3 days it crosses it.
    const end = new Date("2026-10-24T21:59:59Z");
    const inWave = await persons(4, end);
    const outside = await persons(2, end);
    await sql`UPDATE person SET wave_id = ${waveId} WHERE id = ANY(${inWave}::bigint[])`.execute(t.db);
    await sql`
      INSERT INTO provisional_code (person_id, wave_id, code_hash, expires_at)
      SELECT id, ${waveId}, md5(id::text) || md5(id::text), ${new Date("2026-11-07T22:59:59Z")} FROM person
      WHERE id = ANY(${inWave}::bigint[])`.execute(t.db);
    const result = await t.db.transaction().execute((trx) =>
      postponeDeadlines(trx, { boss, now: new Date("2026-10-01T10:00:00Z") }, actor, {
        scope: { kind: "wave", waveId },
        days: 3,
        reason: "grève postale",
      }),
    );
    expect(result.moved).toBe(4);
    expect(result.codesExtended).toBe(4);
    const rows = await sql<{
      id: number;
      w: Date;
    }>`SELECT id, window_ends_at AS w FROM person ORDER BY id`.execute(t.db);
    for (const r of rows.rows) {
      const expected = inWave.includes(r.id) ? "2026-10-27T22:59:59.000Z" : end.toISOString();
      expect(r.w.toISOString()).toBe(expected);
    }
    expect(outside.length).toBe(2);
    const audit = await sql<{ details: { reason: string; moved: number } }>`
      SELECT details FROM audit_log WHERE action = 'deadline.postpone'`.execute(t.db);
    expect(audit.rows[0].details).toMatchObject({ reason: "grève postale", moved: 4 });
    const events = await sql<{
      n: number;
    }>`SELECT count(*)::int AS n FROM person_event WHERE type = 'postpone'`.execute(t.db);
    expect(events.rows[0].n).toBe(4);
    const jobs = await sql<{ key: string }>`
      SELECT singleton_key AS key FROM pgboss.job WHERE name = 'deadline-sweep' ORDER BY 1`.execute(t.db);
    expect(jobs.rows.map((j) => j.key)).toContain("deadline:2026-10-27");
    await expectRollupsMatchPersons(t.db);
  });

  it("catches up overdue persons missed by their day's job, reports them and re-sweeps", async () => {
    await reset();
    const overdue = endOfParisDay(parisDate(new Date(Date.now() - 4 * DAY_MS)));
    await persons(7, overdue);
    await persons(2, new Date(Date.now() + 4 * DAY_MS));
    const report = await catchUpDeadlines(t.db, { boss });
    expect(report.overdue).toBe(7);
    expect(report.days).toEqual([{ day: parisDate(overdue), persons: 7 }]);
    expect((await lastCatchUpReport(t.db))?.overdue).toBe(7);
    const audit = await sql<{
      n: number;
    }>`SELECT count(*)::int AS n FROM audit_log WHERE action = 'deadline.catchup'`.execute(t.db);
    expect(audit.rows[0].n).toBe(1);
    const jobs = await sql<{
      key: string;
    }>`SELECT singleton_key AS key FROM pgboss.job WHERE name = 'deadline-sweep'`.execute(t.db);
    expect(jobs.rows.map((j) => j.key)).toEqual([`deadline:${parisDate(overdue)}`]);
    await sweepDeadlineDay(t.db, { day: parisDate(overdue) });
    expect((await catchUpDeadlines(t.db, { boss })).overdue).toBe(0);
  });

  it("runs as jobs: the planner queues the day, the sweep job (as the worker calls it) creates the spaces", async () => {
    await reset();
    const tomorrow = endOfParisDay(parisDate(new Date(Date.now() + DAY_MS)));
    await persons(2, tomorrow);
    const due = endOfParisDay(parisDate(new Date(Date.now() - 2 * DAY_MS)));
    await persons(3, due);
    const ctx = { db: t.db, boss, config: t.config, logger: createLogger({ level: "silent" }) };
    await deadlinePlanner.handle([], ctx);
    const queued = await sql<{
      key: string;
    }>`SELECT singleton_key AS key FROM pgboss.job WHERE name = 'deadline-sweep'`.execute(t.db);
    expect(queued.rows.map((r) => r.key)).toEqual([`deadline:${parisDate(tomorrow)}`]);
    const job = { id: "j1", name: "deadline-sweep", data: { day: parisDate(due) } };
    await deadlineSweep.handle([job as never], ctx);
    expect(await stateCounts(t.db)).toEqual({ auto_created: 3, notified: 2 });
  });
});
