import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll } from "vitest";
import { type Runtime, startRuntime } from "../../../server/runtime";
import { createTestDatabase } from "../../setup/database";

export interface TestApp {
  baseUrl: string;
  runtime: Runtime;
  dataDir: string;
}

/**
 * The real production build, web + worker in this process, on a fresh clone of the template database,
 * with demo mode on (demo users seeded). One per e2e file.
 */
export function setupTestApp(env: Record<string, string> = {}): TestApp {
  const app = {} as TestApp;
  let drop: (() => Promise<void>) | null = null;
  beforeAll(async () => {
    const database = await createTestDatabase();
    drop = database.drop;
    const dataDir = mkdtempSync(path.join(tmpdir(), "mes-ops-e2e-"));
    const runtime = await startRuntime({
      web: true,
      worker: true,
      quiet: true,
      env: {
        NODE_ENV: "production",
        COOKIE_SECURE: "false",
        DATABASE_URL: database.url,
        PORT: "0",
        HOST: "127.0.0.1",
        DEMO_MODE: "true",
        DATA_DIR: dataDir,
        LOG_LEVEL: "silent",
        SESSION_SECRET: "e2e-session-secret-0123456789-abcdefghijk",
        CODE_HMAC_SECRET: "e2e-code-hmac-secret-0123456789-abcdefghi",
        PORTAL_WEBHOOK_SECRET: "e2e-portal-secret-0123456789-abcdefghijkl",
        TELEPHONY_WEBHOOK_SECRET: "e2e-telephony-secret-0123456789-abcdefghi",
        KPI_API_SECRET: "e2e-kpi-api-secret-0123456789-abcdefghijkl",
        EMAIL_WEBHOOK_SECRET: "e2e-email-webhook-secret-0123456789-abcdef",
        ...env,
      },
    });
    const address = runtime.server?.address();
    const port = typeof address === "object" && address ? address.port : 0;
    Object.assign(app, { baseUrl: `http://127.0.0.1:${port}`, runtime, dataDir });
  }, 120_000);
  afterAll(async () => {
    await app.runtime?.stop();
    await drop?.();
  }, 60_000);
  return app;
}
