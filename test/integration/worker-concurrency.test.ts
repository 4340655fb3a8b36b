import type PgBoss from "pg-boss";
import { describe, expect, it } from "vitest";
import { createLogger } from "../../app/config/logger.server";
import { QUEUES } from "../../app/infra/queues";
import type { JobHandler } from "../../jobs/job-context";
import { waveBatch } from "../../jobs/wave-batch";
import { startWorkers } from "../../jobs/worker-runtime";
import { setupTestDatabase } from "../setup/database";
import { setupBoss } from "./waves-support";

const t = setupTestDatabase();
const harness = setupBoss(t);

/**
 * A stand-in handler for a queue that counts the jobs running at once. Each job waits until `expected` run
 * together, or `patience` ms pass (a worker that runs fewer then fails the test instead of hanging it).
 */
function counting(queue: string, options: PgBoss.WorkOptions | undefined, expected: number, patience = 5000) {
  const seen = { running: 0, max: 0, done: 0 };
  let release: () => void = () => {};
  const together = new Promise<void>((resolve) => {
    release = resolve;
  });
  const handler: JobHandler = {
    queue,
    options,
    async handle(jobs) {
      seen.running += jobs.length;
      seen.max = Math.max(seen.max, seen.running);
      if (seen.running >= expected) release();
      await Promise.race([together, new Promise((r) => setTimeout(r, patience))]);
      seen.running -= jobs.length;
      seen.done += jobs.length;
    },
  };
  return { handler, seen };
}

async function until(check: () => boolean, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error("timed out");
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe("worker runtime", () => {
  it("runs WORKER_CONCURRENCY wave batches at once in one process, one job at a time elsewhere", async () => {
    const concurrency = 3;
    // The real wave-batch options (batchSize 1), so the count is what a worker process does.
    const batches = counting(QUEUES.waveBatch, waveBatch.options, concurrency);
    // Another queue gets one worker: its two jobs never run together (each waits 1.5 s for the other).
    const other = counting(QUEUES.kpiReport, { batchSize: 1, pollingIntervalSeconds: 1 }, 2, 1500);
    const { boss } = harness;
    await startWorkers(
      {
        db: t.db,
        boss,
        config: { ...t.config, workerConcurrency: concurrency },
        logger: createLogger({ level: "silent" }),
      },
      [batches.handler, other.handler],
      [],
    );
    for (let i = 0; i < 6; i++)
      await boss.send(QUEUES.waveBatch, { batchId: -1 - i }, { singletonKey: `wave-batch:test-${i}` });
    for (let i = 0; i < 2; i++) await boss.send(QUEUES.kpiReport, { trigger: `test-${i}` });

    await until(() => batches.seen.done === 6 && other.seen.done === 2);
    expect(batches.seen.max).toBe(concurrency);
    expect(other.seen.max).toBe(1);
  }, 60_000);
});
