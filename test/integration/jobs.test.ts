import { randomUUID } from "node:crypto";
import type PgBoss from "pg-boss";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLogger } from "../../app/config/logger.server";
import { describeAge, describeJobError, workerStatus } from "../../app/domain/jobs/job-status";
import {
  listFailures,
  queueOverview,
  readWorkerStatus,
  retryFailedJob,
} from "../../app/domain/jobs/jobs.server";
import { createBoss, startBoss } from "../../app/infra/job-client.server";
import { heartbeat } from "../../jobs/heartbeat";
import { setupTestDatabase } from "../setup/database";

const t = setupTestDatabase();
let boss: PgBoss;
const QUEUE = "jobs-page-test";
const actor = { userId: null, label: "admin@test", requestId: "req-1", ip: "127.0.0.1" };

beforeAll(async () => {
  boss = createBoss(t.url, createLogger({ level: "silent" }));
  await startBoss(boss);
  await boss.createQueue(QUEUE, { name: QUEUE, retryLimit: 0 });
}, 60_000);

afterAll(async () => {
  await boss?.stop({ graceful: false, wait: true });
});

/** Sends, fetches and fails one job with the given error, as a worker would. */
async function failedJob(error: Error): Promise<string> {
  const id = await boss.send(QUEUE, { batch: 1 });
  if (!id) throw new Error("send returned no id");
  const fetched = await boss.fetch(QUEUE, { batchSize: 10 });
  expect(fetched.map((j) => j.id)).toContain(id);
  await boss.fail(QUEUE, id, error);
  return id;
}

describe("worker status", () => {
  it("is 'never' before the first beat, then active, and inactive once the beat is stale", async () => {
    expect((await readWorkerStatus(t.db)).state).toBe("never");
    await heartbeat.handle([], {
      db: t.db,
      boss,
      config: t.config,
      logger: createLogger({ level: "silent" }),
    });
    const now = await readWorkerStatus(t.db);
    expect(now.state).toBe("active");
    expect(now.ageSeconds).toBeLessThan(10);
    const later = await readWorkerStatus(t.db, { now: new Date(Date.now() + 10 * 60_000) });
    expect(later.state).toBe("inactive");
  });

  it("judges the age against a 150 s threshold and says it in French", () => {
    const beat = new Date("2026-11-23T10:00:00Z");
    expect(workerStatus(beat, new Date("2026-11-23T10:02:30Z")).state).toBe("active");
    expect(workerStatus(beat, new Date("2026-11-23T10:02:31Z")).state).toBe("inactive");
    expect(describeAge(42)).toBe("il y a 42 s");
    expect(describeAge(185)).toBe("il y a 3 min");
    expect(describeAge(2 * 3600 + 5 * 60)).toBe("il y a 2 h 05");
    expect(describeAge(4 * 86400)).toBe("il y a 4 j");
  });
});

describe("failures", () => {
  it("lists failed jobs with their error scrubbed of personal data, and counts them per queue", async () => {
    const id = await failedJob(
      new Error("import refusé pour jean.dupont@example.fr (NIR 1 84 05 75 123 456 78, tél. 06 12 34 56 78)"),
    );
    const page = await listFailures(t.db, { page: 1 });
    const failure = page.failures.find((f) => f.id === id);
    expect(failure?.queue).toBe(QUEUE);
    expect(failure?.error).toContain("import refusé pour [email]");
    expect(failure?.error).toContain("[nir]");
    expect(failure?.error).toContain("[phone]");
    expect(failure?.error).not.toMatch(/dupont|123 456|06 12/);

    const queues = await queueOverview(t.db, { boss });
    const mine = queues.find((q) => q.name === QUEUE);
    expect(mine?.counts.failed).toBeGreaterThanOrEqual(1);
    expect(queues.map((q) => q.name)).toEqual(expect.arrayContaining(["heartbeat", "heartbeat-dead", QUEUE]));
  });

  it("paginates failures, most recent first, and filters by queue", async () => {
    for (let i = 0; i < 4; i++) await failedJob(new Error(`échec ${i}`));
    const all = await listFailures(t.db, { page: 1, pageSize: 2, queue: QUEUE });
    expect(all.total).toBeGreaterThanOrEqual(5);
    expect(all.failures).toHaveLength(2);
    expect(all.pageCount).toBe(Math.ceil(all.total / 2));
    const dates = all.failures.map((f) => f.failedOn?.getTime() ?? 0);
    expect(dates[0]).toBeGreaterThanOrEqual(dates[1]);
    const second = await listFailures(t.db, { page: 2, pageSize: 2, queue: QUEUE });
    expect(second.failures.map((f) => f.id)).not.toContain(all.failures[0].id);
    const beyond = await listFailures(t.db, { page: 999, pageSize: 2, queue: QUEUE });
    expect(beyond.page).toBe(all.pageCount);
    const none = await listFailures(t.db, { page: 1, queue: "no-such-queue" });
    expect(none).toMatchObject({ total: 0, failures: [], page: 1, pageCount: 1 });
  });

  it("retries a failed job once, audits it, and reports a second click or an unknown job", async () => {
    const id = await failedJob(new Error("fournisseur indisponible"));
    expect(await retryFailedJob(t.db, { boss }, actor, { queue: QUEUE, id })).toEqual({ kind: "retried" });
    const job = await boss.getJobById(QUEUE, id);
    expect(job?.state).toBe("retry");
    expect(await retryFailedJob(t.db, { boss }, actor, { queue: QUEUE, id })).toEqual({
      kind: "not_failed",
      state: "retry",
    });
    expect(await retryFailedJob(t.db, { boss }, actor, { queue: QUEUE, id: randomUUID() })).toEqual({
      kind: "not_found",
    });
    const audits = await t.db
      .selectFrom("audit_log")
      .select(["action", "object_id", "actor_label", "request_id"])
      .where("action", "=", "jobs.retry")
      .execute();
    expect(audits).toEqual([
      { action: "jobs.retry", object_id: id, actor_label: "admin@test", request_id: "req-1" },
    ]);
    // The retried job runs again: it is fetchable.
    const again = await boss.fetch(QUEUE, { batchSize: 50 });
    expect(again.map((j) => j.id)).toContain(id);
  });
});

describe("describeJobError", () => {
  it("keeps the stack's first lines, redacts personal keys and says when there is no output", () => {
    expect(describeJobError(null)).toBe("(aucune sortie enregistrée)");
    const text = describeJobError({
      name: "Error",
      message: "x",
      stack: `Error: échec\n${Array.from({ length: 30 }, (_, i) => `    at f${i} (file.ts:${i})`).join("\n")}`,
      nir: "184057512345678",
      email: "a@b.fr",
    });
    expect(text.split("\n")[0]).toBe("Error: échec");
    expect(text).toContain("at f10");
    expect(text).not.toContain("at f11");
    expect(text).toContain('"nir": "[redacted]"');
    expect(text).not.toContain("184057512345678");
    expect(describeJobError({ value: "x".repeat(10_000) }).length).toBeLessThan(4100);
  });
});
