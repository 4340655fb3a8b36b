import { Writable } from "node:stream";
import type PgBoss from "pg-boss";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLogger } from "../../app/config/logger.server";
import { DomainError } from "../../app/domain/domain-error";
import { createBoss, startBoss } from "../../app/infra/job-client.server";
import { QUEUES } from "../../app/infra/queues";
import type { JobHandler } from "../../jobs/job-context";
import { rollImport } from "../../jobs/roll-import";
import { startWorkers } from "../../jobs/worker-runtime";
import { setupTestDatabase } from "../setup/database";

const t = setupTestDatabase();
let boss: PgBoss;
// One retry without delay, so that a retried job is seen failing for good within the test.
const QUEUE = "job-refusals-test";
const lines: string[] = [];
const logger = createLogger({
  level: "info",
  destination: new Writable({
    write(chunk, _encoding, done) {
      lines.push(chunk.toString());
      done();
    },
  }),
});

/** A stand-in use case: refuses when the job asks, otherwise fails as a provider outage would. */
const refusingOrFailing: JobHandler<{ refuse: boolean }> = {
  queue: QUEUE,
  async handle(jobs) {
    for (const job of jobs) {
      if (job.data.refuse) throw new DomainError("not_allowed", "vague déjà annulée", { field: "wave" });
      throw new Error("fournisseur indisponible");
    }
  },
};

beforeAll(async () => {
  boss = createBoss(t.url, createLogger({ level: "silent" }));
  await startBoss(boss);
  await boss.createQueue(QUEUE, { name: QUEUE, retryLimit: 1, retryDelay: 0 });
  await startWorkers({ db: t.db, boss, config: t.config, logger }, [rollImport, refusingOrFailing], []);
}, 60_000);

afterAll(async () => {
  await boss?.stop({ graceful: false, wait: true });
});

type Job = PgBoss.JobWithMetadata<unknown>;

/** Waits until the job reaches one of `states` (by default: done with, or waiting for a retry). */
async function settled(
  queue: string,
  id: string | null,
  states: Job["state"][] = ["completed", "failed", "retry"],
  ms = 20_000,
): Promise<Job> {
  if (!id) throw new Error("send returned no id");
  const end = Date.now() + ms;
  for (;;) {
    const job = await boss.getJobById(queue, id);
    if (job && states.includes(job.state)) return job;
    if (Date.now() > end) throw new Error(`job ${id} still ${job?.state ?? "missing"}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

function logged(msg: string): Array<Record<string, unknown>> {
  return lines.map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => l.msg === msg);
}

describe("a job whose use case refuses", () => {
  it("a roll import for a roll that is gone completes with RollNotFound as its output, without retry", async () => {
    // The real handler and queue (retryLimit 3): a retried job would sit in `retry` here instead.
    const id = await boss.send(QUEUES.rollImport, { rollId: 987_654 });
    const job = await settled(QUEUES.rollImport, id);
    expect(job.state).toBe("completed");
    expect(job.retryCount).toBe(0);
    expect(job.output).toEqual({
      refused: true,
      name: "RollNotFound",
      kind: "not_found",
      code: "not_found",
      message: "fichier d'assurés 987654 introuvable",
    });
    const refusals = logged("job refused (completed, no retry)");
    expect(refusals).toContainEqual(
      expect.objectContaining({
        level: 40,
        queue: QUEUES.rollImport,
        jobId: id,
        refusal: "RollNotFound",
        kind: "not_found",
        reason: "not_found",
        err: expect.objectContaining({
          type: "RollNotFound",
          message: "fichier d'assurés 987654 introuvable",
          stack: expect.stringContaining("RollNotFound: fichier d'assurés 987654 introuvable"),
        }),
      }),
    );
  });

  it("completes with the refusal (and its field) on the first attempt", async () => {
    const id = await boss.send(QUEUE, { refuse: true });
    const job = await settled(QUEUE, id);
    expect(job.state).toBe("completed");
    expect(job.retryCount).toBe(0);
    expect(job.output).toEqual({
      refused: true,
      name: "DomainError",
      kind: "not_allowed",
      code: "not_allowed",
      message: "vague déjà annulée",
      field: "wave",
    });
  });
});

describe("a job that fails otherwise", () => {
  it("is retried, then failed with its error once the retries are spent", async () => {
    const id = await boss.send(QUEUE, { refuse: false });
    const job = await settled(QUEUE, id, ["completed", "failed"]);
    expect(job.state).toBe("failed");
    expect(job.retryCount).toBe(1);
    expect(job.output).toMatchObject({ message: "fournisseur indisponible" });
    expect(
      logged("job failed (pg-boss will retry)").filter((l) => l.queue === QUEUE).length,
    ).toBeGreaterThanOrEqual(2);
  });
});
