import type { Server } from "node:http";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import type { ServerBuild } from "@remix-run/node";
import type pg from "pg";
import type PgBoss from "pg-boss";
import { type AppConfig, loadConfig } from "../app/config/config.server";
import { createLogger, type Logger } from "../app/config/logger.server";
import { createBoss, installJobSchema, startBoss } from "../app/infra/job-client.server";
import { DEMO_PASSWORD, DEMO_USERS, seedDemo } from "../cli/seed";
import { createDb, type DB } from "../db/connection";
import { type EmbeddedDatabase, startEmbeddedDatabase } from "../db/embedded";
import { migrateToLatest } from "../db/migrate";
import { type DatabaseRoles, grantAppRole, resolveDatabaseRoles } from "../db/roles";

export const ROOT_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

export interface Runtime {
  config: AppConfig;
  logger: Logger;
  db: DB;
  pool: pg.Pool;
  boss: PgBoss;
  databaseUrl: string;
  /** The role the application's pools and pg-boss run as (db/roles.ts). */
  databaseRole: string;
  embedded: EmbeddedDatabase | null;
  server: Server | null;
  stop(): Promise<void>;
}

export class StartupError extends Error {}

/**
 * Boots what a process needs, in order: configuration, database (embedded when DATABASE_URL is unset),
 * migrations, demo seed, pg-boss, then the worker and/or the web server. `stop()` undoes it in reverse.
 */
export async function startRuntime(opts: {
  web: boolean;
  worker: boolean;
  migrate?: boolean;
  seed?: boolean;
  env?: NodeJS.ProcessEnv;
  quiet?: boolean;
}): Promise<Runtime> {
  const config = loadConfig(opts.env ?? process.env);
  const logger = createLogger({ level: opts.quiet ? "warn" : config.logLevel });
  if (config.databaseOwnerUrl && !config.databaseUrl)
    throw new StartupError("DATABASE_OWNER_URL est défini sans DATABASE_URL (le rôle de l'application)");
  let embedded: EmbeddedDatabase | null = null;
  let databaseUrl = config.databaseUrl;
  if (!databaseUrl) {
    embedded = await startEmbeddedDatabase({
      dataDir: config.dataDir,
      onLog: (line) => logger.debug({ component: "postgres" }, line),
    });
    databaseUrl = embedded.url;
    logger.info({ dataDir: config.dataDir }, "embedded PostgreSQL started");
  }
  const cleanup: Array<() => Promise<void>> = [async () => embedded?.stop()];
  const undo = async () => {
    for (const step of cleanup.reverse()) await step().catch(() => undefined);
  };
  let roles: DatabaseRoles;
  try {
    roles = await resolveDatabaseRoles({ databaseUrl, ownerUrl: config.databaseOwnerUrl }).catch(
      (error: Error) => {
        throw new StartupError(
          `base de données injoignable (${redactUrl(databaseUrl as string)}) : ${error.message}`,
        );
      },
    );
    // Migrations, pg-boss's schema and the application role's rights: as the owner, on a pool of its own
    // closed before the application's opens.
    if (opts.migrate !== false) {
      const owner = createDb(roles.ownerUrl, 2);
      try {
        await migrateToLatest(owner.db);
        await installJobSchema(roles.ownerUrl);
        if (roles.separated) await grantAppRole(owner.db, roles.appRole);
      } finally {
        await owner.db.destroy();
      }
    }
  } catch (error) {
    await undo();
    throw error;
  }
  if (!roles.separated)
    logger.warn(
      { role: roles.appRole },
      "database role owns the schema: set DATABASE_OWNER_URL, or a DATABASE_URL that may create roles",
    );
  const { db, pool } = createDb(roles.appUrl, 20);
  cleanup.push(async () => db.destroy());
  try {
    await pool.query("SELECT 1").catch((error: Error) => {
      throw new StartupError(
        `base de données injoignable en tant que ${roles.appRole} (${redactUrl(roles.appUrl)}) : ${error.message}`,
      );
    });
    if (opts.seed ?? config.demoMode) {
      const applied = await seedDemo(db, config);
      if (applied.length > 0) logger.info({ applied }, "demo data seeded");
    }
  } catch (error) {
    await undo();
    throw error;
  }

  const boss = createBoss(roles.appUrl, logger);
  let presence: import("../jobs/worker-presence").WorkerPresence | null = null;
  let reaper: { stop(): Promise<void> } | null = null;
  // Undone before the pool is destroyed (cleanup runs in reverse): running jobs finish on a live pool, and
  // the worker's presence outlives them, so no reaper hands back a job that is still finishing.
  cleanup.push(async () => {
    await reaper?.stop();
    await boss.stop({ graceful: true, wait: true, timeout: 10_000 });
    await presence?.stop();
  });
  let server: Server | null = null;
  try {
    await startBoss(boss);
    // The job handlers (pdfkit, fonts, the email client…) and the web app are loaded only by the
    // processes that run them: a CLI command that needs neither stays ~45 MB lighter.
    if (opts.worker) {
      const { startWorkers } = await import("../jobs/worker-runtime");
      // A CLI import that died left its roll in parsing/merging: refused, its staging table dropped.
      const { recoverInterruptedRolls } = await import("../app/domain/rolls/interrupted.server");
      const interrupted = await recoverInterruptedRolls(db);
      if (interrupted.length > 0) logger.warn({ rollIds: interrupted }, "interrupted roll imports refused");
      const { registerWorker } = await import("../jobs/worker-presence");
      const { startReaper } = await import("../jobs/reaper");
      presence = await registerWorker(roles.appUrl, logger);
      await startWorkers({ db, boss, config, logger }, undefined, undefined, presence);
      reaper = startReaper({ db, boss, logger }, presence, config.workerReaperIntervalSeconds);
    }
    if (opts.web) {
      const build = await loadBuild();
      const { createHttpApp } = await import("./http");
      const app = createHttpApp({ db, boss, config, logger, build, rootDir: ROOT_DIR });
      server = await listen(app, config.port, config.host);
      cleanup.push(
        () =>
          new Promise<void>((resolve) => {
            server?.close(() => resolve());
            server?.closeAllConnections();
          }),
      );
    }
  } catch (error) {
    await undo();
    throw error;
  }
  let stopping: Promise<void> | null = null;
  return {
    config,
    logger,
    db,
    pool,
    boss,
    databaseUrl,
    databaseRole: roles.appRole,
    embedded,
    server,
    stop: () => {
      stopping ??= undo();
      return stopping;
    },
  };
}

async function loadBuild(): Promise<ServerBuild> {
  const file = path.join(ROOT_DIR, "build", "index.js");
  try {
    return (await import(pathToFileURL(file).href)) as ServerBuild;
  } catch (error) {
    throw new StartupError(
      `build introuvable (${file}) : lancez \`npm run build\` (${(error as Error).message})`,
    );
  }
}

function listen(app: import("express").Express, port: number, host: string): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = app.listen(port, host);
    server.once("listening", () => resolve(server));
    server.once("error", (error: NodeJS.ErrnoException) => {
      if (error.code === "EADDRINUSE")
        reject(new StartupError(`le port ${port} est déjà utilisé (variable PORT)`));
      else reject(new StartupError(`écoute impossible sur ${host}:${port} : ${error.message}`));
    });
  });
}

export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = "***";
    return u.toString();
  } catch {
    return "(URL invalide)";
  }
}

export function printDemoLogins(runtime: Runtime): void {
  if (!runtime.config.demoMode) return;
  const lines = [
    "",
    "  Comptes de démonstration (mot de passe commun : " + DEMO_PASSWORD + ")",
    ...DEMO_USERS.map((u) => `    ${u.role.padEnd(20)} ${u.email}`),
    "",
  ];
  process.stdout.write(`${lines.join("\n")}\n`);
}

/** Runs a process entry point: a start-up failure is one line on stderr and exit code 1. */
export async function runProcess(
  start: () => Promise<Runtime>,
  after?: (rt: Runtime) => void,
): Promise<void> {
  let runtime: Runtime;
  try {
    runtime = await start();
  } catch (error) {
    process.stderr.write(`mes-ops : démarrage impossible : ${(error as Error).message}\n`);
    process.exit(1);
  }
  after?.(runtime);
  let signalled = false;
  const shutdown = (signal: string) => {
    if (signalled) return;
    signalled = true;
    runtime.logger.info({ signal }, "shutting down");
    const force = setTimeout(() => process.exit(1), 20_000);
    force.unref();
    runtime.stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on("SIGTERM", () => shutdown("SIGTERM"));
  process.on("SIGINT", () => shutdown("SIGINT"));
}
