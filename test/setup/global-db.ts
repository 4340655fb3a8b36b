import { randomBytes } from "node:crypto";
import path from "node:path";
import pg from "pg";
import PgBoss from "pg-boss";
import type { TestProject } from "vitest/node";
import { createDb } from "../../db/connection";
import { type EmbeddedDatabase, startEmbeddedDatabase } from "../../db/embedded";
import { migrateToLatest } from "../../db/migrate";
import { APP_ROLE, grantAppRole, provisionAppRole } from "../../db/roles";

declare module "vitest" {
  export interface ProvidedContext {
    adminDatabaseUrl: string;
    /** The admin URL with the application role's credentials (another database path per clone). */
    appDatabaseUrl: string;
    templateDatabase: string;
  }
}

/**
 * Once per run: a PostgreSQL (DATABASE_URL if set, else an embedded one under .data/test-pg), and a
 * template database migrated once (application schema and pg-boss's), which every test file clones, and
 * the application role with its rights on it.
 */
export default async function setup(project: TestProject) {
  let embedded: EmbeddedDatabase | null = null;
  let adminUrl = process.env.DATABASE_URL;
  if (!adminUrl) {
    embedded = await startEmbeddedDatabase({ dataDir: path.resolve(".data/test"), database: "postgres" });
    adminUrl = embedded.url;
  }
  const template = `mesops_tmpl_${randomBytes(4).toString("hex")}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${template}`);
  const templateUrl = withDatabase(adminUrl, template);
  const { db } = createDb(templateUrl, 2);
  await migrateToLatest(db);
  await db.destroy();
  const boss = new PgBoss({
    connectionString: templateUrl,
    schema: "pgboss",
    supervise: false,
    schedule: false,
  });
  await boss.start();
  await boss.stop({ graceful: false, wait: true });
  // The tests' handles connect as the application role (ADR 027), the clones inheriting its rights.
  const appUrl = await provisionAppRole(adminUrl);
  const owner = createDb(templateUrl, 1);
  await grantAppRole(owner.db, APP_ROLE);
  await owner.db.destroy();
  project.provide("adminDatabaseUrl", adminUrl);
  project.provide("appDatabaseUrl", appUrl);
  project.provide("templateDatabase", template);
  return async () => {
    await admin.query(`DROP DATABASE IF EXISTS ${template} WITH (FORCE)`).catch(() => undefined);
    await admin.end();
    await embedded?.stop();
  };
}

export function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}
