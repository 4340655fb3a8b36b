import { CompiledQuery, type Kysely } from "kysely";
import PgBoss from "pg-boss";
import type { Logger } from "../config/logger.server";
import { QUEUE_DEFINITIONS } from "./queues";

const SCHEMA = "pgboss";

/**
 * The single pg-boss instance of a process, on the application's database (schema `pgboss`), as the
 * application role: it never creates or migrates pg-boss's schema, the owner does (installJobSchema).
 */
export function createBoss(connectionString: string, logger: Logger): PgBoss {
  const boss = new PgBoss({
    connectionString,
    schema: SCHEMA,
    migrate: false,
    application_name: "mes-ops-jobs",
    max: 6,
    // Failed jobs stay visible on the Jobs page for a week before archiving.
    archiveFailedAfterSeconds: 7 * 24 * 3600,
  });
  boss.on("error", (error: Error & { code?: string }) => {
    // 57P01 admin_shutdown: PostgreSQL is stopping. On our own shutdown pg-boss's pool has already been
    // ended, but its sockets may still be closing when the embedded server stops: not an incident.
    if (error.code === "57P01")
      logger.info({ code: error.code }, "pg-boss: connection closed by PostgreSQL shutdown");
    else logger.error({ err: error }, "pg-boss error");
  });
  return boss;
}

/**
 * Creates or migrates pg-boss's schema, as the owner (the migrations' role): a short-lived instance that
 * neither maintains nor schedules, stopped once its schema is there.
 */
export async function installJobSchema(ownerConnectionString: string): Promise<void> {
  const boss = new PgBoss({
    connectionString: ownerConnectionString,
    schema: SCHEMA,
    application_name: "mes-ops-migrate",
    max: 1,
    supervise: false,
    schedule: false,
  });
  await boss.start();
  await boss.stop({ graceful: false, wait: true });
}

/**
 * Starts pg-boss (its schema installed by installJobSchema) and creates every queue, dead-letter queues
 * first (pgboss.create_queue runs as the owner: see db/roles.ts).
 */
export async function startBoss(boss: PgBoss): Promise<void> {
  await boss.start();
  const ordered = [...QUEUE_DEFINITIONS].sort(
    (a, b) => Number(Boolean(a.deadLetter)) - Number(Boolean(b.deadLetter)),
  );
  for (const def of ordered) {
    const { name, ...options } = def;
    const existing = await boss.getQueue(name);
    if (existing) await boss.updateQueue(name, { name, ...options });
    else await boss.createQueue(name, { name, ...options });
  }
}

/**
 * Lets pg-boss write inside a Kysely transaction, so a job is enqueued atomically with the write that
 * causes it: `boss.send(q, data, { db: bossDb(trx) })`.
 */
export function bossDb<T>(db: Kysely<T>): PgBoss.Db {
  return {
    async executeSql(text: string, values: unknown[]) {
      const result = await db.executeQuery(CompiledQuery.raw(text, values));
      return { rows: result.rows as unknown[] as never[] };
    },
  };
}
