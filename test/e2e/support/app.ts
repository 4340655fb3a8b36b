import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll } from "vitest";
import { type Runtime, startRuntime } from "../../../server/runtime";
import { createTestDatabase } from "../../setup/database";
import { productionTestEnv } from "../../support/production-env";

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
      env: productionTestEnv({ databaseUrl: database.url, dataDir, demoMode: true, overrides: env }),
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
