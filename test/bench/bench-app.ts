import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { type Runtime, startRuntime } from "../../server/runtime";
import { ensureBuild } from "../support/app-process";
import { benchDatabase } from "./lib";

/** Every secret a production-mode process requires, fixed for benches (overridable per bench). */
const BENCH_SECRETS: Record<string, string> = {
  SESSION_SECRET: "bench-session-secret-0123456789-abcdefghij",
  CODE_HMAC_SECRET: "bench-code-hmac-secret-0123456789-abcdefgh",
  PORTAL_WEBHOOK_SECRET: "bench-portal-secret-0123456789-abcdefghijk",
  TELEPHONY_WEBHOOK_SECRET: "bench-telephony-secret-0123456789-abcdefgh",
  KPI_API_SECRET: "bench-kpi-api-secret-0123456789-abcdefghijk",
  EMAIL_WEBHOOK_SECRET: "bench-email-webhook-secret-0123456789-abcdef",
};

export interface BenchApp {
  baseUrl: string;
  runtime: Runtime;
  database: Awaited<ReturnType<typeof benchDatabase>>;
  stop(): Promise<void>;
}

/**
 * The production build, web only, in this process, on a fresh bench database. React picks its production
 * or development runtime from process.env when the build is first imported, so NODE_ENV is set for the
 * bench's duration and restored by stop().
 */
export async function startBenchApp(opts: {
  label: string;
  demoMode: boolean;
  env?: Record<string, string>;
}): Promise<BenchApp> {
  ensureBuild();
  const nodeEnv = process.env.NODE_ENV;
  process.env.NODE_ENV = "production";
  const database = await benchDatabase();
  const dataDir = mkdtempSync(path.join(tmpdir(), `mes-ops-bench-${opts.label}-`));
  const runtime = await startRuntime({
    web: true,
    worker: false,
    quiet: true,
    env: {
      NODE_ENV: "production",
      COOKIE_SECURE: "false",
      DATABASE_URL: database.url,
      PORT: "0",
      HOST: "127.0.0.1",
      DEMO_MODE: opts.demoMode ? "true" : "false",
      DATA_DIR: dataDir,
      LOG_LEVEL: "silent",
      ...BENCH_SECRETS,
      ...opts.env,
    },
  });
  const address = runtime.server?.address();
  const port = typeof address === "object" && address ? address.port : 0;
  return {
    baseUrl: `http://127.0.0.1:${port}`,
    runtime,
    database,
    async stop() {
      await runtime.stop();
      await database.drop();
      if (nodeEnv === undefined) Reflect.deleteProperty(process.env, "NODE_ENV");
      else process.env.NODE_ENV = nodeEnv;
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
