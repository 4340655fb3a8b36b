import { spawnSync } from "node:child_process";

/**
 * Runs `npm run cli -- <args>` as a separate process against a test database, the way an operator would:
 * exit code and both output streams, for the CLI tests of each context.
 */
export function runCli(
  databaseUrl: string,
  dataDir: string,
  args: string[],
  env: Record<string, string> = {},
): { code: number | null; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, ["--import", "tsx", "cli/main.ts", ...args], {
    encoding: "utf8",
    env: {
      ...process.env,
      DATABASE_URL: databaseUrl,
      DATA_DIR: dataDir,
      NODE_ENV: "test",
      LOG_LEVEL: "silent",
      DEMO_MODE: "false",
      ...env,
    },
    timeout: 120_000,
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}
