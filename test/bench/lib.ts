import { randomBytes } from "node:crypto";
import path from "node:path";
import pg from "pg";
import { createDb, type DB } from "../../db/connection";
import { type EmbeddedDatabase, startEmbeddedDatabase } from "../../db/embedded";
import { migrateToLatest } from "../../db/migrate";

/** A bench: prints its figures (medians of several runs, with a baseline from the same run) and returns them. */
export interface Bench {
  name: string;
  summary: string;
  run(opts: BenchOptions): Promise<Record<string, number>>;
}

export interface BenchOptions {
  runs: number;
  /** Scale factor (e.g. --rows); each bench documents its own default. */
  args: Map<string, string | true>;
  log(line: string): void;
}

export function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

export function percentile(values: number[], p: number): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))];
}

export function round(value: number, digits = 2): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

export async function timed<T>(fn: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const started = process.hrtime.bigint();
  const value = await fn();
  return { ms: Number(process.hrtime.bigint() - started) / 1e6, value };
}

let embedded: EmbeddedDatabase | null = null;

/** The PostgreSQL server benches use: DATABASE_URL's, else an embedded one under .data/bench. */
export async function benchServerUrl(): Promise<string> {
  if (process.env.DATABASE_URL) return process.env.DATABASE_URL;
  embedded ??= await startEmbeddedDatabase({ dataDir: path.resolve(".data/bench"), database: "postgres" });
  return embedded.url;
}

/** A fresh, migrated database for one bench; dropped by `drop()`. */
export async function benchDatabase(): Promise<{
  url: string;
  db: DB;
  pool: pg.Pool;
  drop(): Promise<void>;
}> {
  const serverUrl = await benchServerUrl();
  const name = `mesops_bench_${randomBytes(4).toString("hex")}`;
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const u = new URL(serverUrl);
  u.pathname = `/${name}`;
  const url = u.toString();
  const { db, pool } = createDb(url, 20);
  await migrateToLatest(db);
  return {
    url,
    db,
    pool,
    async drop() {
      await db.destroy();
      const c = new pg.Client({ connectionString: serverUrl });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
    },
  };
}

export async function stopBenchServer(): Promise<void> {
  await embedded?.stop();
  embedded = null;
}
