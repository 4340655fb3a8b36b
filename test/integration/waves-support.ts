import { mkdtempSync, readdirSync, readFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { type Kysely, sql } from "kysely";
import type PgBoss from "pg-boss";
import { afterAll, beforeAll } from "vitest";
import type { AppConfig } from "../../app/config/config.server";
import { createLogger } from "../../app/config/logger.server";
import { type DispatchDeps, type RunOptions, runBatch } from "../../app/domain/waves/batch-run.server";
import type { EmailProvider } from "../../app/domain/waves/email-provider.server";
import { materialiseWave } from "../../app/domain/waves/plan.server";
import {
  DEFAULT_SETTINGS,
  type SendHours,
  type WaveSegment,
  type WaveSettings,
} from "../../app/domain/waves/wave";
import { createWave, scheduleWave } from "../../app/domain/waves/waves.server";
import { createBoss, startBoss } from "../../app/infra/job-client.server";
import type { Database } from "../../db/schema";
import { type TestDatabase, testConfig } from "../setup/database";

export const actor = { userId: null, label: "campagne@test", requestId: "req-w", ip: "127.0.0.1" };

/** A config whose print and outbox folders are fresh temp dirs. */
export function waveConfig(overrides: Record<string, string> = {}): AppConfig {
  const dir = mkdtempSync(path.join(os.tmpdir(), "mes-ops-waves-"));
  return testConfig({
    PRINT_DIR: path.join(dir, "print"),
    OUTBOX_DIR: path.join(dir, "outbox"),
    ...overrides,
  });
}

export function deps(boss: PgBoss, config: AppConfig, provider?: EmailProvider): DispatchDeps {
  return { boss, config, logger: createLogger({ level: "silent" }), provider };
}

export async function scheduledWave(
  db: Kysely<Database>,
  boss: PgBoss,
  segment: Partial<WaveSegment> & { departments: string[] },
  settings: Partial<WaveSettings> = {},
  opts: { sendHours?: SendHours } = {},
): Promise<number> {
  const waveId = await createWave(db, actor, {
    name: `Vague test ${segment.departments.join("/")}`,
    segment: { mode: "pending", rollIds: [], ageMin: null, ageMax: null, hasEmail: "any", ...segment },
    settings: { ...DEFAULT_SETTINGS, startAt: new Date(), workingDaysOnly: false, ...settings },
  });
  await scheduleWave(db, { boss }, actor, waveId);
  await materialiseWave(db, { boss }, { waveId, sendHours: opts.sendHours });
  return waveId;
}

/** Runs every open batch of a wave (including follow-up batches) until none is left. */
export async function runWave(
  db: Kysely<Database>,
  d: DispatchDeps,
  waveId: number,
  opts: RunOptions = {},
): Promise<void> {
  for (let round = 0; round < 10; round++) {
    const open = await sql<{ id: number }>`
      SELECT id FROM wave_batch WHERE wave_id = ${waveId} AND status NOT IN ('done','cancelled','failed') ORDER BY id
    `.execute(db);
    if (open.rows.length === 0) return;
    for (const b of open.rows) await runBatch(db, d, { ...opts, batchId: b.id });
  }
  throw new Error("wave did not finish");
}

/** Text of every page of a PDF (pdfjs-dist, pure JS). */
export async function pdfPages(file: string | Buffer): Promise<string[]> {
  const { getDocument } = await import("pdfjs-dist/legacy/build/pdf.mjs");
  const data = new Uint8Array(typeof file === "string" ? readFileSync(file) : file);
  const pdf = await getDocument({ data, verbosity: 0 }).promise;
  const pages: string[] = [];
  for (let i = 1; i <= pdf.numPages; i++) {
    const content = await (await pdf.getPage(i)).getTextContent();
    pages.push(content.items.map((item) => ("str" in item ? item.str : "")).join(" "));
  }
  await pdf.destroy();
  return pages;
}

export const CODE_IN_TEXT = /[2-9A-HJKMNP-Z]{4}-[2-9A-HJKMNP-Z]{4}-[2-9A-HJKMNP-Z]{5}/;

export function outboxFiles(config: AppConfig): string[] {
  try {
    return readdirSync(config.outboxDir).filter((f) => f.endsWith(".eml"));
  } catch {
    return [];
  }
}

export function pdfFiles(config: AppConfig, waveId: number): string[] {
  try {
    return readdirSync(path.join(config.printDir, `vague-${waveId}`))
      .filter((f) => f.endsWith(".pdf"))
      .map((f) => path.join(config.printDir, `vague-${waveId}`, f));
  } catch {
    return [];
  }
}

export async function activeCodesPerPerson(
  db: Kysely<Database>,
  personIds: number[],
): Promise<Map<number, number>> {
  const rows = await sql<{ person_id: number; n: number }>`
    SELECT person_id, count(*)::int AS n FROM provisional_code
    WHERE person_id = ANY(${personIds}::bigint[]) AND used_at IS NULL AND revoked_at IS NULL GROUP BY 1
  `.execute(db);
  return new Map(rows.rows.map((r) => [r.person_id, r.n]));
}

/** A started pg-boss on the test database for the file (jobs are enqueued, never mocked), stopped after. */
export function setupBoss(t: TestDatabase): { boss: PgBoss } {
  const holder = {} as { boss: PgBoss };
  beforeAll(async () => {
    holder.boss = createBoss(t.url, createLogger({ level: "silent" }));
    await startBoss(holder.boss);
  }, 60_000);
  afterAll(async () => {
    await holder.boss?.stop({ graceful: false, wait: true });
  });
  return holder;
}
