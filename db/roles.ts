import { createHmac } from "node:crypto";
import { sql } from "kysely";
import pg from "pg";
import type { DB } from "./connection";

/**
 * The two database roles (ADR 027). The owner (DATABASE_OWNER_URL, else DATABASE_URL) runs the
 * migrations and pg-boss's, and owns every table; the application's pools connect as a role that owns
 * nothing and is no superuser, so that it cannot alter, disable or empty the audit log whatever SQL it is
 * made to run. Given one superuser URL (the embedded database, the tests, a simple deployment), the start
 * creates that role itself: `mes_ops_app`.
 */
export const APP_ROLE = "mes_ops_app";

/**
 * Written once, read back, never updated or deleted by the application: INSERT and SELECT only (their
 * append-only triggers stay as a second line).
 */
export const APPEND_ONLY_TABLES = ["audit_log", "person_event", "kpi_observation_revision"] as const;

/** The owner's bookkeeping, none of the application's business. */
const OWNER_ONLY_TABLES = ["kysely_migration", "kysely_migration_lock", "bulk_dropped"] as const;

export interface DatabaseRoles {
  /** Where the migrations run. */
  ownerUrl: string;
  /** Where the application's pools connect. */
  appUrl: string;
  /** The role the application runs as. */
  appRole: string;
  /** False when the only role given can neither create another nor is distinct: the app runs as it. */
  separated: boolean;
}

/**
 * The application role's password when the start creates it: derived from the owner's, so that every
 * process started with the same URL (web, worker, CLI, parallel test files) agrees on it without storing
 * it, and nobody who lacks the owner's password can compute it. No owner password (trust or peer
 * authentication): no password either.
 */
export function appRolePassword(ownerUrl: string): string | null {
  const ownerPassword = decodeURIComponent(new URL(ownerUrl).password);
  if (!ownerPassword) return null;
  return createHmac("sha256", ownerPassword).update(`${APP_ROLE} password`).digest("base64url");
}

/** `ownerUrl` with the application role's credentials. */
export function appRoleUrl(ownerUrl: string): string {
  const u = new URL(ownerUrl);
  u.username = APP_ROLE;
  u.password = appRolePassword(ownerUrl) ?? "";
  return u.toString();
}

const DUPLICATE_OBJECT = "42710";
const CONCURRENT_UPDATE = /tuple concurrently updated/;

/**
 * Creates `mes_ops_app` on the owner's server, or puts its attributes and password back, and waits until
 * it can log in. Checked first and changed only when needed: parallel starts (the test files) would
 * otherwise collide on the same catalog row.
 */
export async function provisionAppRole(ownerUrl: string): Promise<string> {
  const appUrl = appRoleUrl(ownerUrl);
  const password = appRolePassword(ownerUrl);
  const owner = new pg.Client({ connectionString: ownerUrl });
  await owner.connect();
  try {
    for (let attempt = 0; ; attempt++) {
      try {
        const found = await owner.query<{ ok: boolean }>(
          `SELECT rolcanlogin AND NOT (rolsuper OR rolcreatedb OR rolcreaterole OR rolreplication OR rolbypassrls) AS ok
           FROM pg_roles WHERE rolname = $1`,
          [APP_ROLE],
        );
        const attributes = "LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS NOINHERIT";
        const secret = password === null ? "PASSWORD NULL" : `PASSWORD ${pg.escapeLiteral(password)}`;
        if (found.rowCount === 0) {
          await owner.query(`CREATE ROLE ${APP_ROLE} ${attributes} ${secret}`);
        } else {
          if (!found.rows[0].ok) await owner.query(`ALTER ROLE ${APP_ROLE} ${attributes}`);
          if (!(await canLogIn(appUrl))) await owner.query(`ALTER ROLE ${APP_ROLE} ${secret}`);
        }
        return appUrl;
      } catch (error) {
        const e = error as Error & { code?: string };
        const raced = e.code === DUPLICATE_OBJECT || CONCURRENT_UPDATE.test(e.message);
        if (!raced || attempt >= 5) throw error;
        await new Promise((r) => setTimeout(r, 50 + Math.random() * 150));
      }
    }
  } finally {
    await owner.end();
  }
}

async function canLogIn(url: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: url });
  try {
    await client.connect();
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

/**
 * Which roles a process uses. Two URLs: as given. One URL whose role may create roles: the owner is that
 * role and the application runs as `mes_ops_app`. One URL without that right: the application runs as
 * that role, which owns the schema (the old arrangement, reported as such).
 */
export async function resolveDatabaseRoles(opts: {
  databaseUrl: string;
  ownerUrl: string | undefined;
}): Promise<DatabaseRoles> {
  if (opts.ownerUrl && opts.ownerUrl !== opts.databaseUrl) {
    return {
      ownerUrl: opts.ownerUrl,
      appUrl: opts.databaseUrl,
      appRole: decodeURIComponent(new URL(opts.databaseUrl).username),
      separated: true,
    };
  }
  const client = new pg.Client({ connectionString: opts.databaseUrl });
  await client.connect();
  let privileged: boolean;
  let role: string;
  try {
    const r = await client.query<{ role: string; privileged: boolean }>(
      "SELECT current_user AS role, rolsuper OR rolcreaterole AS privileged FROM pg_roles WHERE rolname = current_user",
    );
    role = r.rows[0].role;
    privileged = r.rows[0].privileged;
  } finally {
    await client.end();
  }
  if (!privileged)
    return { ownerUrl: opts.databaseUrl, appUrl: opts.databaseUrl, appRole: role, separated: false };
  const appUrl = await provisionAppRole(opts.databaseUrl);
  return { ownerUrl: opts.databaseUrl, appUrl, appRole: APP_ROLE, separated: true };
}

/**
 * The application role's rights, re-applied by the owner after every migration run (new tables, pg-boss's
 * own migrations): rows of every table, the append-only ones only written once, no owner bookkeeping; the
 * sequences (a bulk load sets person's); tables of its own in `roll_staging` only; pg-boss's tables, and
 * its queue creation (which creates a partition) as the owner's function. Under an advisory lock: parallel
 * starts on one database would collide on the same ACLs.
 */
export async function grantAppRole(owner: DB, role: string): Promise<void> {
  const r = sql.id(role);
  const tables = (names: readonly string[]) => sql.join(names.map((n) => sql.id(n)));
  await owner.transaction().execute(async (trx) => {
    await sql`SELECT pg_advisory_xact_lock(hashtext('mes-ops grants'))`.execute(trx);
    await sql`GRANT USAGE ON SCHEMA public TO ${r}`.execute(trx);
    await sql`GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO ${r}`.execute(trx);
    await sql`REVOKE UPDATE, DELETE, TRUNCATE ON ${tables(APPEND_ONLY_TABLES)} FROM ${r}`.execute(trx);
    await sql`REVOKE ALL ON ${tables(OWNER_ONLY_TABLES)} FROM ${r}`.execute(trx);
    // The first load empties person inside its transaction so that COPY FREEZE may write it frozen.
    await sql`GRANT TRUNCATE ON person TO ${r}`.execute(trx);
    await sql`GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA public TO ${r}`.execute(trx);
    await sql`GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA public TO ${r}`.execute(trx);
    await sql`GRANT USAGE, CREATE ON SCHEMA roll_staging TO ${r}`.execute(trx);
    // PostgreSQL 15 revokes it by default; a database created from an older template may still grant it.
    const publicCreate = await sql<{ yes: boolean }>`
      SELECT has_schema_privilege(${role}, 'public', 'CREATE') AS yes`.execute(trx);
    if (publicCreate.rows[0].yes) await sql`REVOKE CREATE ON SCHEMA public FROM PUBLIC`.execute(trx);
    const boss = await sql<{ fn: string | null }>`
      SELECT to_regprocedure('pgboss.create_queue(text, json)')::text AS fn`.execute(trx);
    if (boss.rows[0].fn) {
      await sql`GRANT USAGE ON SCHEMA pgboss TO ${r}`.execute(trx);
      await sql`GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA pgboss TO ${r}`.execute(trx);
      await sql`GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA pgboss TO ${r}`.execute(trx);
      await sql`ALTER DEFAULT PRIVILEGES IN SCHEMA pgboss GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO ${r}`.execute(
        trx,
      );
      // A queue is a partition of pgboss.job, created by this function: run as its owner, its names
      // qualified, its search_path pinned.
      await sql`ALTER FUNCTION pgboss.create_queue(text, json) SECURITY DEFINER SET search_path = pg_catalog, pg_temp`.execute(
        trx,
      );
      await sql`GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA pgboss TO ${r}`.execute(trx);
    }
  });
}

/** Who a handle runs as, for /readyz and the start-up log. */
export async function currentRole(db: DB): Promise<string> {
  return (await sql<{ role: string }>`SELECT current_user AS role`.execute(db)).rows[0].role;
}
