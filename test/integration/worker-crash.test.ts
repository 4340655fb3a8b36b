import { mkdtempSync, statSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { sql } from "kysely";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { readWorkerPresence } from "../../app/domain/jobs/jobs.server";
import { buildNir } from "../../app/domain/persons/nir";
import { createRoll } from "../../app/domain/rolls/rolls.server";
import { QUEUES } from "../../app/infra/queues";
import { insertPersons } from "../factories";
import { setupTestDatabase } from "../setup/database";
import { type AppProcess, spawnApp } from "../support/app-process";
import { HEADER, row } from "./rolls-support";
import { activeCodesPerPerson, scheduledWave, setupBoss } from "./waves-support";

/**
 * Issue 21, item 1: a worker killed -9 in the middle of a roll import, a wave batch or a deadline sweep.
 * A real worker process (`jobs/worker.ts`) is killed with SIGKILL while it runs the job, a new one is
 * started, and its reaper must hand the dead worker's job back within seconds (not pg-boss's 2–4 h expiry);
 * the work then completes with exact results. Timings are printed.
 */
const t = setupTestDatabase();
const b = setupBoss(t);
const dir = mkdtempSync(path.join(os.tmpdir(), "mes-ops-crash-"));
const live: AppProcess[] = [];

function startWorker(): AppProcess {
  const worker = spawnApp("jobs/worker.ts", {
    NODE_ENV: "test",
    DATABASE_URL: t.ownerUrl,
    DATA_DIR: dir,
    PRINT_DIR: path.join(dir, "print"),
    OUTBOX_DIR: path.join(dir, "outbox"),
    LOG_LEVEL: "warn",
    DEMO_MODE: "false",
    WORKER_CONCURRENCY: "1",
    WORKER_REAPER_INTERVAL_SECONDS: "2",
    SEND_HOURS: "0-24",
    SESSION_SECRET: "test-session-secret-0123456789-abcdefghij",
    CODE_HMAC_SECRET: "test-code-hmac-secret-0123456789-abcdefgh",
    PORTAL_WEBHOOK_SECRET: "test-portal-secret-0123456789-abcdefghijk",
    TELEPHONY_WEBHOOK_SECRET: "test-telephony-secret-0123456789-abcdefgh",
    KPI_API_SECRET: "test-kpi-api-secret-0123456789-abcdefghijk",
  });
  live.push(worker);
  return worker;
}

async function waitFor<T>(
  what: string | (() => string),
  probe: () => Promise<T | null | undefined | false>,
  timeoutMs = 120_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`délai dépassé : ${typeof what === "string" ? what : what()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Waits until the worker has the job of `queue` recorded as its own (it is running it). */
async function runningJob(queue: string): Promise<{ jobId: string; pid: number }> {
  return waitFor(`une tâche ${queue} en cours`, async () => {
    const r = await sql<{ job_id: string; pid: number }>`
      SELECT wj.job_id, w.pid FROM worker_job wj JOIN worker w ON w.id = wj.worker_id WHERE wj.queue = ${queue} LIMIT 1
    `.execute(t.db);
    return r.rows[0] ? { jobId: r.rows[0].job_id, pid: r.rows[0].pid } : null;
  });
}

/** Kills the worker with SIGKILL, starts another, and returns when the job was handed back (ms since kill). */
async function killAndRestart(
  worker: AppProcess,
  job: { jobId: string; pid: number },
): Promise<{ killedAt: number; handBackMs: number }> {
  const { jobId } = job;
  const killedAt = Date.now();
  // The pid the worker registered is the Node process itself (tsx runs it as its child): that one dies.
  process.kill(job.pid, "SIGKILL");
  await worker.exited;
  const next = startWorker();
  const handedBack = await waitFor(
    () => `la tâche rendue (worker : ${next.stdout().slice(-1500)})`,
    async () => {
      const r = await sql<{
        outcome: string;
      }>`SELECT outcome FROM worker_handback WHERE job_id = ${jobId}::uuid`.execute(t.db);
      return r.rows[0]?.outcome;
    },
    90_000,
  );
  expect(handedBack).toBe("retry");
  return { killedAt, handBackMs: Date.now() - killedAt };
}

afterEach(async () => {
  for (const w of live.splice(0)) {
    if (w.child.exitCode === null && w.child.signalCode === null) {
      w.child.kill("SIGTERM");
      await Promise.race([w.exited, new Promise((r) => setTimeout(r, 20_000))]);
      if (w.child.exitCode === null && w.child.signalCode === null) w.child.kill("SIGKILL");
    }
  }
});
afterAll(() => undefined);

describe("a worker killed -9 mid-job", () => {
  it("roll import: the roll is handed back and merged once, every row in", async () => {
    const rows = 250_000;
    const file = path.join(dir, "national.csv");
    const lines = [HEADER];
    // A NIR's order has three digits: the commune moves on every 999 rows so that every line is its own person.
    const nir = (n: number) =>
      buildNir({
        sex: 1,
        year: 1984,
        month: 5,
        department: "31",
        commune: 1 + Math.floor((n - 1) / 999),
        order: 1 + ((n - 1) % 999),
      });
    for (let n = 1; n <= rows; n++) lines.push(row(n, { nir: nir(n) }));
    writeFileSync(file, `${lines.join("\n")}\n`);
    const worker = startWorker();
    const rollId = await t.db.transaction().execute(async (trx) => {
      const id = await createRoll(trx, {
        filePath: file,
        fileName: "national.csv",
        sizeBytes: statSync(file).size,
        source: "upload",
        thresholdPct: 100,
      });
      await b.boss.send(QUEUES.rollImport, { rollId: id }, { singletonKey: `roll-import:${id}:upload` });
      return id;
    });
    const job = await runningJob(QUEUES.rollImport);
    await waitFor("l'import commencé", async () => {
      const r = await t.db
        .selectFrom("roll")
        .select(["state", "bytes_read"])
        .where("id", "=", rollId)
        .executeTakeFirst();
      return r && r.state !== "uploaded" ? r : null;
    });
    const { killedAt, handBackMs } = await killAndRestart(worker, job);
    const state = await waitFor("le fichier intégré", async () => {
      const r = await t.db.selectFrom("roll").select("state").where("id", "=", rollId).executeTakeFirst();
      return r && !["uploaded", "parsing", "validated", "merging"].includes(r.state) ? r.state : null;
    });
    const completionMs = Date.now() - killedAt;
    console.info(
      `worker-crash roll import: handed back ${handBackMs} ms after the kill, merged ${completionMs} ms after`,
    );
    expect(state).toBe("merged");
    const persons = await sql<{
      n: number;
      d: number;
    }>`SELECT count(*)::int AS n, count(DISTINCT nir)::int AS d FROM person`.execute(t.db);
    expect(persons.rows[0]).toEqual({ n: rows, d: rows });
    // The Jobs page tells the hand-back, and counts the new worker only.
    const presence = await readWorkerPresence(t.db);
    expect(presence.lastHandbacks[0]).toMatchObject({ queue: QUEUES.rollImport, outcome: "retry" });
    expect(presence.handedBackDay).toBe(1);
    expect(presence.alive).toBe(1);
  }, 300_000);

  it("wave batch: the batch is handed back, every letter once, one valid code per person", async () => {
    await sql`TRUNCATE person, person_event CASCADE`.execute(t.ownerDb);
    const ids = await insertPersons(t.db, {
      count: 6000,
      departments: ["44"],
      emailShare: 0,
      offset: 900_000,
    });
    const worker = startWorker();
    // The worker's SEND_HOURS (0-24) for the plan too: with the default 08–20, a run between midnight and
    // 08:00 Paris planned the letters for 08:00 and no batch ever started.
    const waveId = await scheduledWave(
      t.db,
      b.boss,
      { departments: ["44"] },
      { batchSize: 3000 },
      { sendHours: { from: 0, to: 24 } },
    );
    const job = await runningJob(QUEUES.waveBatch);
    const { killedAt, handBackMs } = await killAndRestart(worker, job);
    await waitFor("tous les lots terminés", async () => {
      const r = await sql<{ open: number }>`
        SELECT count(*)::int AS open FROM wave_batch WHERE wave_id = ${waveId} AND status NOT IN ('done','cancelled','failed')
      `.execute(t.db);
      return r.rows[0]?.open === 0;
    });
    const completionMs = Date.now() - killedAt;
    console.info(
      `worker-crash wave batch: handed back ${handBackMs} ms after the kill, wave done ${completionMs} ms after`,
    );
    const batches = await sql<{ status: string; n: number }>`
      SELECT status, count(*)::int AS n FROM wave_batch WHERE wave_id = ${waveId} GROUP BY status
    `.execute(t.db);
    expect(batches.rows).toEqual([{ status: "done", n: 2 }]);
    const members = await sql<{ n: number; sent: number; d: number }>`
      SELECT count(*)::int AS n, count(handed_off_at)::int AS sent, count(DISTINCT person_id)::int AS d
      FROM wave_member WHERE wave_id = ${waveId}
    `.execute(t.db);
    expect(members.rows[0]).toEqual({ n: 6000, sent: 6000, d: 6000 });
    const codes = await activeCodesPerPerson(t.db, ids);
    expect(codes.size).toBe(6000);
    expect([...codes.values()].every((n) => n === 1)).toBe(true);
  }, 300_000);

  it("deadline sweep: the sweep is handed back, every space auto-created once", async () => {
    await sql`TRUNCATE person, person_event CASCADE`.execute(t.ownerDb);
    const count = 200_000;
    const day = new Date(Date.now() - 2 * 24 * 3600 * 1000);
    await insertPersons(t.db, {
      count,
      departments: ["80"],
      state: "notified",
      notifiedAt: new Date(day.getTime() - 42 * 24 * 3600 * 1000),
      windowEndsAt: day,
      offset: 2_000_000,
    });
    const worker = startWorker();
    const dayText = new Date().toISOString().slice(0, 10);
    await b.boss.send(QUEUES.deadlineSweep, { day: dayText }, { singletonKey: `deadline:${dayText}` });
    const job = await runningJob(QUEUES.deadlineSweep);
    const before = await waitFor("le balayage commencé", async () => {
      const r = await sql<{
        n: number;
      }>`SELECT count(*)::int AS n FROM person WHERE state = 'auto_created'`.execute(t.db);
      return (r.rows[0]?.n ?? 0) > 0 ? r.rows[0].n : null;
    });
    const { killedAt, handBackMs } = await killAndRestart(worker, job);
    await waitFor("tous les espaces créés", async () => {
      const r = await sql<{
        n: number;
      }>`SELECT count(*)::int AS n FROM person WHERE state = 'auto_created'`.execute(t.db);
      return r.rows[0]?.n === count;
    });
    const completionMs = Date.now() - killedAt;
    console.info(
      `worker-crash deadline sweep: killed after ${before}/${count}, handed back ${handBackMs} ms after the kill, done ${completionMs} ms after`,
    );
    expect(before).toBeLessThan(count);
    const events = await sql<{ n: number; d: number }>`
      SELECT count(*)::int AS n, count(DISTINCT person_id)::int AS d FROM person_event WHERE to_state = 'auto_created'
    `.execute(t.db);
    expect(events.rows[0]).toEqual({ n: count, d: count });
  }, 300_000);
});
