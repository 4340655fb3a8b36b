import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { type Runtime, startRuntime } from "../../server/runtime";
import { ensureBuild } from "../support/app-process";
import { productionTestEnv } from "../support/production-env";
import { benchDatabase } from "./lib";

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
    env: productionTestEnv({
      databaseUrl: database.url,
      dataDir,
      demoMode: opts.demoMode,
      overrides: opts.env,
    }),
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
