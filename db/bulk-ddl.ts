import { sql } from "kysely";
import type { DB } from "./connection";
import { attempt, LOCK_NOT_AVAILABLE } from "./savepoint";

/**
 * The DDL of a bulk load, inside the loading transaction: the table locked, its indexes and keys dropped
 * (their definitions read from the catalog, so that they always match the migrations), the rows written
 * into the bare table, then everything rebuilt by sorting. PostgreSQL's DDL is transactional: a crash or a
 * rollback brings the dropped indexes back with the rows. Which indexes of which table, and how long a lock
 * may be waited for, are the caller's choice.
 */
export interface Rebuildable {
  name: string;
  definition: string;
  kind: "index" | "unique" | "foreign_key";
  /** The table of a constraint (a foreign key's is the referencing table). */
  table: string;
}

/**
 * A table's indexes other than its primary key (with the constraints they back: UNIQUE) and its own
 * foreign keys (a check queued per inserted row otherwise), read from the catalog, ordered by name.
 */
export async function secondaryIndexesAndKeys(trx: DB, table: string): Promise<Rebuildable[]> {
  const r = await sql<Rebuildable>`
    SELECT c.conname AS name, pg_get_constraintdef(c.oid) AS definition,
           CASE c.contype WHEN 'f' THEN 'foreign_key' ELSE 'unique' END AS kind, ${table}::text AS table
    FROM pg_constraint c
    WHERE c.conrelid = ${table}::regclass AND c.contype IN ('u', 'f')
    UNION ALL
    SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid), 'index', ${table}::text
    FROM pg_index i
    WHERE i.indrelid = ${table}::regclass AND NOT i.indisprimary
      AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)
    ORDER BY 1`.execute(trx);
  return r.rows;
}

/** A table's primary key, and the other tables' foreign keys that depend on it (dropped with it). */
export async function primaryKeyAndReferences(
  trx: DB,
  table: string,
): Promise<{ primaryKey: Rebuildable; references: Rebuildable[] }> {
  const r = await sql<Rebuildable & { primary: boolean }>`
    SELECT c.conname AS name, pg_get_constraintdef(c.oid) AS definition, t.relname AS table,
           c.contype = 'p' AS primary
    FROM pg_constraint c JOIN pg_class t ON t.oid = c.conrelid
    WHERE (c.conrelid = ${table}::regclass AND c.contype = 'p')
       OR (c.confrelid = ${table}::regclass AND c.conrelid <> ${table}::regclass AND c.contype = 'f')
    ORDER BY 1`.execute(trx);
  const key = ({ primary, ...k }: Rebuildable & { primary: boolean }): Rebuildable => ({
    ...k,
    kind: primary ? "unique" : "foreign_key",
  });
  const primary = r.rows.find((row) => row.primary);
  if (!primary) throw new Error(`${table} has no primary key`);
  return { primaryKey: key(primary), references: r.rows.filter((row) => !row.primary).map(key) };
}

/**
 * The application role owns no table (ADR 027): the drops and rebuilds go through the migrating role's
 * bulk_drop and bulk_rebuild functions, which allow only person's indexes and keys and the foreign keys to
 * it, and rebuild only what they dropped, from the catalog's definition (one statement each, as before).
 */
export async function dropAll(trx: DB, items: Rebuildable[]): Promise<void> {
  for (const item of items)
    await sql`SELECT bulk_drop(${item.table}::regclass, ${item.name}, ${item.kind})`.execute(trx);
}

/**
 * Rebuilds indexes and constraints, the foreign keys first. Validating a foreign key is one anti-join of
 * the referencing rows against the referenced key; left to the planner after a bulk load it hashed the
 * whole person table (and went through the heap behind the new holder index, not yet vacuumed): ~1 s for
 * 1 M persons. Before the other indexes exist and with index probes forced it reads the table once and
 * probes the primary key for the few rows that refer to someone: ~0.4 s.
 */
export async function rebuild(trx: DB, items: Rebuildable[]): Promise<void> {
  const keys = items.filter((i) => i.kind === "foreign_key");
  if (keys.length > 0) {
    const planner = ["enable_hashjoin", "enable_mergejoin", "enable_nestloop"];
    const before = await sql<{ name: string; setting: string }>`
      SELECT name, setting FROM pg_settings WHERE name = ANY(${planner}::text[])`.execute(trx);
    await sql`SELECT set_config('enable_hashjoin', 'off', true), set_config('enable_mergejoin', 'off', true),
                     set_config('enable_nestloop', 'on', true)`.execute(trx);
    for (const key of keys) await addConstraint(trx, key);
    for (const { name, setting } of before.rows)
      await sql`SELECT set_config(${name}, ${setting}, true)`.execute(trx);
  }
  for (const item of items) if (item.kind !== "foreign_key") await addConstraint(trx, item);
}

function addConstraint(trx: DB, item: Rebuildable) {
  return sql`SELECT bulk_rebuild(${item.table}::regclass, ${item.name})`.execute(trx);
}

/** Turns person's user triggers (all, or the one named) off or back on, through bulk_person_triggers. */
export async function setPersonTriggers(trx: DB, enabled: boolean, trigger?: string): Promise<void> {
  await sql`SELECT bulk_person_triggers(${enabled}, ${trigger ?? null}::text)`.execute(trx);
}

/** ANALYZE person (only these columns when given), through bulk_analyze_person. */
export async function analyzePerson(trx: DB, columns?: string[]): Promise<void> {
  await sql`SELECT bulk_analyze_person(${columns ?? null}::text[])`.execute(trx);
}

/**
 * Takes `tables` in ACCESS EXCLUSIVE mode for a bulk load, waiting at most `lockTimeout` (a PostgreSQL
 * interval such as `3s`): false when one of them is busy (the savepoint undoes the attempt).
 */
export function lockExclusively(trx: DB, tables: string[], lockTimeout: string): Promise<boolean> {
  return attempt(trx, LOCK_NOT_AVAILABLE, async () => {
    await sql.raw(`SET LOCAL lock_timeout = '${lockTimeout}'`).execute(trx);
    // Through bulk_lock: person and the tables that refer to it only (ADR 027).
    await sql`SELECT bulk_lock(${tables}::regclass[])`.execute(trx);
    await sql`SET LOCAL lock_timeout = 0`.execute(trx);
  });
}
