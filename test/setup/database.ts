import { randomBytes } from "node:crypto";
import pg from "pg";
import { afterAll, beforeAll, inject } from "vitest";
import { type AppConfig, loadConfig } from "../../app/config/config.server";
import { createDb, type DB } from "../../db/connection";

/**
 * `url`, `db` and `pool` connect as the application role (ADR 027), as the app does; `ownerUrl` and
 * `ownerDb` as the owner, for what a test prepares that the app may not do (DDL, emptying tables).
 */
export interface TestDatabase {
  url: string;
  name: string;
  db: DB;
  pool: pg.Pool;
  config: AppConfig;
  ownerUrl: string;
  ownerDb: DB;
}

function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}

/**
 * Clones the migrated template into a fresh database (a few hundred ms) that only the caller uses. `url`
 * is the owner's (what a process is started with: it runs as the application role itself), `appUrl` the
 * application role's.
 */
export async function createTestDatabase(): Promise<{
  url: string;
  appUrl: string;
  name: string;
  drop(): Promise<void>;
}> {
  const adminUrl = inject("adminDatabaseUrl");
  const template = inject("templateDatabase");
  const name = `mesops_t_${randomBytes(5).toString("hex")}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    // Cloning needs the template to have no other session; retry briefly if another file is cloning.
    for (let attempt = 0; ; attempt++) {
      try {
        await admin.query(`CREATE DATABASE ${name} TEMPLATE ${template}`);
        break;
      } catch (error) {
        if (attempt > 50 || !String((error as Error).message).includes("being accessed")) throw error;
        await new Promise((r) => setTimeout(r, 100 + Math.random() * 200));
      }
    }
  } finally {
    await admin.end();
  }
  return {
    url: withDatabase(adminUrl, name),
    appUrl: withDatabase(inject("appDatabaseUrl"), name),
    name,
    async drop() {
      const c = new pg.Client({ connectionString: adminUrl });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
    },
  };
}

/** A test configuration: secrets fixed, data under a temp dir, never the developer's .data/. */
export function testConfig(overrides: Record<string, string> = {}): AppConfig {
  return loadConfig({
    NODE_ENV: "test",
    DATA_DIR: `/tmp/mes-ops-test-${process.pid}`,
    SESSION_SECRET: "test-session-secret-0123456789-abcdefghij",
    CODE_HMAC_SECRET: "test-code-hmac-secret-0123456789-abcdefgh",
    PORTAL_WEBHOOK_SECRET: "test-portal-secret-0123456789-abcdefghijk",
    TELEPHONY_WEBHOOK_SECRET: "test-telephony-secret-0123456789-abcdefgh",
    KPI_API_SECRET: "test-kpi-api-secret-0123456789-abcdefghijk",
    LOG_LEVEL: "silent",
    DEMO_MODE: "false",
    ...overrides,
  });
}

/**
 * Per test file: `const t = setupTestDatabase();` then `t.db` in tests. The database is created before the
 * file's tests and dropped after them.
 */
export function setupTestDatabase(): TestDatabase {
  const handle = {} as TestDatabase;
  let drop: (() => Promise<void>) | null = null;
  beforeAll(async () => {
    const created = await createTestDatabase();
    drop = created.drop;
    const { db, pool } = createDb(created.appUrl, 10);
    const owner = createDb(created.url, 2);
    Object.assign(handle, {
      url: created.appUrl,
      name: created.name,
      db,
      pool,
      config: testConfig(),
      ownerUrl: created.url,
      ownerDb: owner.db,
    });
  }, 60_000);
  afterAll(async () => {
    await handle.db?.destroy();
    await handle.ownerDb?.destroy();
    await drop?.();
  }, 60_000);
  return handle;
}
