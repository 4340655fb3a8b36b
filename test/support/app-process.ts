import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { chmodSync, mkdtempSync, rmSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

/** Runs mes-ops's real entry points as child processes, the way the README says (used by tests and benches). */

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const TSX = path.join(ROOT, "node_modules/.bin/tsx");

export interface AppProcess {
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** Resolves with the exit code (or the signal name) once the process has exited. */
  exited: Promise<number | string>;
}

/** `npm start` builds when needed; do it once up front so start-up timings exclude the build. */
export function ensureBuild(): void {
  execFileSync(process.execPath, ["scripts/ensure-build.mjs"], { cwd: ROOT, stdio: "pipe" });
}

/**
 * A fresh data directory under /tmp. As root the embedded PostgreSQL runs as `postgres`, which must be able
 * to traverse it: 0755, like a home directory.
 */
export function freshDataDir(prefix = "mes-ops-proc-"): string {
  const dir = mkdtempSync(path.join("/tmp", prefix));
  chmodSync(dir, 0o755);
  created.push(dir);
  return dir;
}

const created: string[] = [];

/** Deletes every data directory made by freshDataDir in this process (each holds a ~100 MB cluster). */
export function removeDataDirs(): void {
  for (const dir of created.splice(0)) rmSync(dir, { recursive: true, force: true });
}

/** Starts `tsx <entry>` with only the given environment (plus PATH/HOME): no inherited DATABASE_URL. */
export function spawnApp(entry: string, env: Record<string, string>): AppProcess {
  const child = spawn(TSX, [entry], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH ?? "/usr/bin:/bin",
      HOME: process.env.HOME ?? "/tmp",
      ...env,
    } as unknown as NodeJS.ProcessEnv, // Remix's globals make NODE_ENV mandatory; it is left unset on purpose
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  let err = "";
  child.stdout?.on("data", (c: Buffer) => {
    out += c.toString();
  });
  child.stderr?.on("data", (c: Buffer) => {
    err += c.toString();
  });
  const exited = new Promise<number | string>((resolve) => {
    child.once("exit", (code, signal) => resolve(code ?? signal ?? -1));
  });
  return { child, stdout: () => out, stderr: () => err, exited };
}

/** Polls `url` until it answers 200; fails fast if the process exits first. */
export async function waitForOk(app: AppProcess, url: string, timeoutMs = 90_000): Promise<void> {
  let exitedWith: number | string | null = null;
  void app.exited.then((code) => {
    exitedWith = code;
  });
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (exitedWith !== null) {
      throw new Error(`le processus s'est arrêté (${exitedWith}) avant d'être prêt : ${app.stderr().trim()}`);
    }
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
      if (res.status === 200) return;
    } catch {
      /* not listening yet */
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${url} n'a pas répondu 200 en ${timeoutMs / 1000} s : ${app.stderr().trim()}`);
}

/** Command lines of live processes whose arguments mention `needle` (e.g. a data directory). */
export function processesMentioning(needle: string): string[] {
  const out = execFileSync("ps", ["-eo", "pid,args"], { encoding: "utf8" });
  return out
    .split("\n")
    .filter((line) => line.includes(needle) && !line.includes("ps -eo"))
    .map((l) => l.trim());
}

export const DEMO_ADMIN = "admin@demo.mes-ops.fr";
export const DEMO_PASSWORD = "MesOps-demo-2026";

/** Logs a demo user in through the real login form; returns the `name=value` session cookie. */
export async function loginOverHttp(base: string, email: string, password = DEMO_PASSWORD): Promise<string> {
  const res = await fetch(`${base}/login`, {
    method: "POST",
    redirect: "manual",
    headers: { "Content-Type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ email, password, redirectTo: "/" }),
  });
  const cookie = res.headers.getSetCookie().find((c) => c.includes("="));
  if (res.status !== 302 || !cookie) throw new Error(`connexion de ${email} refusée (HTTP ${res.status})`);
  return cookie.split(";")[0];
}

/** SIGTERM, then the exit code, or "timeout" if the process is still there after `timeoutMs`. */
export async function stopApp(app: AppProcess, timeoutMs = 30_000): Promise<number | string> {
  if (app.child.exitCode !== null) return app.child.exitCode;
  app.child.kill("SIGTERM");
  return Promise.race([
    app.exited,
    new Promise<string>((resolve) => setTimeout(() => resolve("timeout"), timeoutMs)),
  ]);
}
