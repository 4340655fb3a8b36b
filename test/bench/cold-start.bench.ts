import { execFileSync } from "node:child_process";
import { rmSync } from "node:fs";
import { freePort } from "../../db/embedded";
import {
  type AppProcess,
  ensureBuild,
  freshDataDir,
  ROOT,
  spawnApp,
  stopApp,
  waitForOk,
} from "../support/app-process";
import { type Bench, median, round, timed } from "./lib";

/**
 * What a new user waits for: `npm start` on a fresh data directory, without DATABASE_URL — the build check,
 * then `tsx server/start.ts` (initdb of the embedded PostgreSQL, migrations, demo seed, pg-boss, worker,
 * web) until `/readyz` answers 200. The warm start is the same command again on the data it left. npm's own
 * launcher (~0.2 s) is not included; the build is done once before timing.
 */
async function startUntilReady(dataDir: string): Promise<{ seconds: number; app: AppProcess }> {
  const port = await freePort();
  let app: AppProcess | null = null;
  try {
    const { ms } = await timed(async () => {
      execFileSync(process.execPath, ["scripts/ensure-build.mjs"], { cwd: ROOT, stdio: "pipe" });
      app = spawnApp("server/start.ts", { DATA_DIR: dataDir, PORT: String(port), LOG_LEVEL: "warn" });
      await waitForOk(app, `http://127.0.0.1:${port}/readyz`, 120_000);
    });
    if (!app) throw new Error("processus non lancé");
    return { seconds: ms / 1000, app };
  } catch (error) {
    if (app) await stopApp(app, 20_000);
    throw error;
  }
}

async function stopped(app: AppProcess): Promise<void> {
  const code = await stopApp(app);
  if (code !== 0) {
    app.child.kill("SIGKILL");
    throw new Error(`arrêt anormal (${code}) : ${app.stderr().trim()}`);
  }
}

export const coldStartBench: Bench = {
  name: "cold-start",
  summary:
    "npm start sur un DATA_DIR neuf jusqu'à /readyz 200 (à froid), puis redémarrage sur les mêmes données",
  async run({ runs, log }) {
    ensureBuild();
    const cold: number[] = [];
    const warm: number[] = [];
    for (let i = 0; i < runs; i++) {
      const dataDir = freshDataDir("mes-ops-bench-start-");
      try {
        const first = await startUntilReady(dataDir);
        await stopped(first.app);
        cold.push(first.seconds);
        const second = await startUntilReady(dataDir);
        await stopped(second.app);
        warm.push(second.seconds);
        log(
          `  run ${i + 1}/${runs}: à froid ${round(first.seconds, 2)} s, à chaud ${round(second.seconds, 2)} s`,
        );
      } finally {
        rmSync(dataDir, { recursive: true, force: true });
      }
    }
    const figures = { cold_start_s: round(median(cold), 2), warm_start_s: round(median(warm), 2) };
    log(`  médiane de ${runs} : à froid ${figures.cold_start_s} s, à chaud ${figures.warm_start_s} s`);
    return figures;
  },
};
