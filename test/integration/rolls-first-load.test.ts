import { appendFileSync, statSync } from "node:fs";
import path from "node:path";
import { sql } from "kysely";
import pg from "pg";
import { describe, expect, it } from "vitest";
import { importRoll } from "../../app/domain/rolls/import.server";
import { lastRollSql, ofRollsSql } from "../../app/domain/rolls/roll-persons";
import { confirmHeldRoll, createRoll } from "../../app/domain/rolls/rolls.server";
import { writeSyntheticRoll } from "../../cli/synthetic-roll";
import { setupTestDatabase } from "../setup/database";
import { expectRollupsMatchPersons } from "./lifecycle-support";
import { HEADER, nirOf, personSchema, rollDir, rollFile, row, runImport } from "./rolls-support";

/**
 * The first load (app/domain/rolls/first-load.server.ts): a roll COPY'd straight into an empty person
 * table must end exactly as the staging path would have left it — same persons, same links, same rejects
 * — and stay all-or-nothing.
 */
const t = setupTestDatabase();
const actor = { userId: null, label: "test" };

async function personsByNir(): Promise<string[]> {
  const r = await sql<{ line: string }>`
    SELECT concat_ws('|', p.nir, p.last_name, p.first_name, p.birth_date, p.department, p.address_line,
                     p.postal_code, p.city, p.email, p.phone, p.state, ${lastRollSql()} IS NOT NULL, h.nir) AS line
    FROM person p LEFT JOIN person h ON h.id = p.holder_id ORDER BY p.nir`.execute(t.db);
  return r.rows.map((x) => x.line);
}

async function rejectsOf(rollId: number): Promise<string[]> {
  const r = await sql<{ line: string }>`
    SELECT concat_ws('|', line, field, reason, severity, message, ref_line, raw) AS line
    FROM roll_reject WHERE roll_id = ${rollId} ORDER BY line, reason`.execute(t.db);
  return r.rows.map((x) => x.line);
}

async function personCount(): Promise<number> {
  return (await sql<{ n: number }>`SELECT count(*)::int AS n FROM person`.execute(t.db)).rows[0].n;
}

async function deletePersons(): Promise<void> {
  await sql`UPDATE person SET holder_id = NULL WHERE holder_id IS NOT NULL`.execute(t.db);
  await sql`DELETE FROM person_contact_history`.execute(t.db);
  await sql`DELETE FROM person`.execute(t.db);
}

async function leftoverTables(): Promise<string[]> {
  const r = await sql<{ name: string }>`
    SELECT relname AS name FROM pg_class WHERE relname LIKE 'roll_dependants_%' AND relkind = 'r'`.execute(
    t.db,
  );
  return r.rows.map((x) => x.name);
}

/** The daily series' arrivals ('new' → state), by day, department and state: deletes leave them be. */
async function dailyArrivals(): Promise<Map<string, number>> {
  const r = await sql<{ k: string; n: number }>`
    SELECT day || '/' || department || '/' || wave_id || '/' || state_to AS k, sum(n)::int AS n
    FROM funnel_daily_delta WHERE state_from = 'new' GROUP BY 1`.execute(t.db);
  return new Map(r.rows.map((x) => [x.k, x.n]));
}

function gained(after: Map<string, number>, before: Map<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, n] of after) if (n !== (before.get(k) ?? 0)) out[k] = n - (before.get(k) ?? 0);
  return out;
}

/** Loads `file` into the empty table by the first load, then by the staging path: both must agree. */
async function expectSameAsStaging(file: string) {
  expect(await personCount()).toBe(0);
  const schema = await personSchema(t.db);
  const arrivals = await dailyArrivals();
  const first = await runImport(t.db, file);
  const arrivalsFirst = await dailyArrivals();
  const firstArrivals = gained(arrivalsFirst, arrivals);
  expect(Object.values(firstArrivals).reduce((a, b) => a + b, 0)).toBe(await personCount());
  expect(first.timings.mergeStrategy).toBe("first_load");
  const persons = await personsByNir();
  const rejects = await rejectsOf(first.rollId);
  expect(await personSchema(t.db)).toEqual(schema);
  await expectRollupsMatchPersons(t.db);
  expect(await leftoverTables()).toEqual([]);

  await deletePersons();
  const staged = await runImport(t.db, file, { force: true, staging: true });
  expect(staged.timings.mergeStrategy).toBe("bulk");
  expect(await personsByNir()).toEqual(persons);
  expect(await rejectsOf(staged.rollId)).toEqual(rejects);
  await expectRollupsMatchPersons(t.db);
  expect(gained(await dailyArrivals(), arrivalsFirst)).toEqual(firstArrivals);
  for (const key of ["state", "rows", "valid", "rejected", "warnings", "inserted", "updated"] as const)
    expect(first[key]).toEqual(staged[key]);
  await deletePersons();
  return { first, persons, rejects };
}

describe("first load into an empty person table", () => {
  it("links holders before, after and far from their dependants, refuses duplicates and orphans, as the staging path does", async () => {
    const child = (n: number, holder: string, over: Record<string, string> = {}) =>
      row(n, { nir: nirOf(n, { year: 2012, month: 3 }), birth: "01/03/2012", holder, ...over });
    const childNir = (n: number) => nirOf(n, { year: 2012, month: 3 });
    const lines = [
      row(1), // line 2: a holder
      child(2, nirOf(1)), // line 3: holder just before
      child(3, nirOf(50)), // line 4: holder later in the file
      ...Array.from({ length: 20 }, (_, i) => row(100 + i)), // lines 5–24
      child(4, nirOf(1)), // line 25: holder 23 rows back
      row(1, { address: "9 allée des Doublons" }), // line 26: the same NIR again → refused
      child(5, nirOf(1)), // line 27: holder whose NIR is also on a refused row
      child(6, nirOf(999)), // line 28: holder nowhere → refused
      child(7, childNir(6)), // line 29: holder is the refused line 28 → refused on the second pass
      row(50), // line 30
      child(2, nirOf(50)), // line 31: dependant's NIR twice → refused as a duplicate
    ];
    const file = rollFile(`${HEADER}\n${lines.join("\n")}\n`);
    const { first, persons, rejects } = await expectSameAsStaging(file);
    expect(first).toMatchObject({ state: "merged", rows: 30, valid: 26, rejected: 4, inserted: 26 });
    const holderOf = (nir: string) =>
      persons
        .find((p) => p.startsWith(nir))
        ?.split("|")
        .at(-1);
    expect(holderOf(childNir(2))).toBe(nirOf(1));
    expect(holderOf(childNir(3))).toBe(nirOf(50));
    expect(holderOf(childNir(4))).toBe(nirOf(1));
    expect(holderOf(childNir(5))).toBe(nirOf(1));
    expect(rejects.map((r) => r.split("|").slice(0, 3).join("|"))).toEqual([
      "26|nir|duplicate_nir",
      "28|holder_nir|holder_not_found",
      "29|holder_nir|holder_not_found",
      "31|nir|duplicate_nir",
    ]);
    expect(rejects[0]).toContain("NIR déjà présent ligne 2");
    expect(rejects[0]).toContain("9 allée des Doublons");
  }, 60_000);

  it("gives the staging path's result on a generated roll with every kind of error", async () => {
    const file = path.join(rollDir, `first-load-${process.pid}.csv`);
    const generated = await writeSyntheticRoll(file, { rows: 4000, seed: 17, errorShare: 0.04 });
    const { first } = await expectSameAsStaging(file);
    expect(first.rows).toBe(4000);
    expect(first.valid + first.rejected).toBe(4000);
    expect(first.rejected).toBeGreaterThanOrEqual(
      (generated.errors.duplicate_nir ?? 0) + (generated.errors.holder_not_found ?? 0),
    );
  }, 60_000);

  it("a load killed in the middle of its COPY leaves the table empty and whole; the rerun loads it exactly", async () => {
    const file = path.join(rollDir, `first-load-crash-${process.pid}.csv`);
    await writeSyntheticRoll(file, { rows: 150_000, seed: 23, errorShare: 0.01 });
    const schema = await personSchema(t.db);
    const rollId = await createRoll(t.db, {
      filePath: file,
      fileName: "crash.csv",
      sizeBytes: statSync(file).size,
      source: "cli",
      thresholdPct: 50,
    });
    const running = importRoll(t.db, rollId).then(
      () => null,
      (error: Error) => error,
    );
    for (let i = 0; ; i++) {
      const copying = await sql<{ pid: number }>`
        SELECT pid FROM pg_stat_activity
        WHERE datname = current_database() AND state = 'active' AND query ILIKE 'COPY person %'`.execute(
        t.db,
      );
      if (copying.rows.length > 0) {
        await sql`SELECT pg_terminate_backend(${copying.rows[0].pid})`.execute(t.db);
        break;
      }
      if (i > 2000) throw new Error("the first load's COPY was never seen running");
      await new Promise((r) => setTimeout(r, 10));
    }
    expect(await running).toBeInstanceOf(Error);
    const mid = await t.db
      .selectFrom("roll")
      .select("state")
      .where("id", "=", rollId)
      .executeTakeFirstOrThrow();
    expect(mid.state).toBe("parsing");
    expect(await personCount()).toBe(0);
    expect(await personSchema(t.db)).toEqual(schema);
    expect(await leftoverTables()).toEqual([]);

    const out = await importRoll(t.db, rollId);
    expect(out).toMatchObject({ state: "merged", rows: 150_000 });
    expect(out.timings.mergeStrategy).toBe("first_load");
    expect(out.valid + out.rejected).toBe(150_000);
    expect(out.inserted).toBe(out.valid);
    expect(await personCount()).toBe(out.inserted);
    const rejects = await sql<{ n: number }>`
      SELECT count(*)::int AS n FROM roll_reject WHERE roll_id = ${rollId} AND severity = 'error'`.execute(
      t.db,
    );
    expect(rejects.rows[0].n).toBe(out.rejected);
    expect(await personSchema(t.db)).toEqual(schema);
    await expectRollupsMatchPersons(t.db);
    // The sequence continues after the loaded block.
    const next = await runImport(t.db, rollFile(`${HEADER}\n${row(901)}\n`));
    expect(next).toMatchObject({ state: "merged", inserted: 1, rejected: 0 });
    const ids = await sql<{ ok: boolean }>`
      SELECT (SELECT id FROM person WHERE nir = ${nirOf(901)}) > (SELECT max(id) FROM person p WHERE ${ofRollsSql([rollId])}) AS ok`.execute(
      t.db,
    );
    expect(ids.rows[0].ok).toBe(true);
    await deletePersons();
  }, 120_000);

  it("writes its rows frozen, where a staging load's rows wait for a vacuum (and their first reader) to be", async () => {
    const rows = [5, 6, 7].flatMap((month) =>
      Array.from({ length: 999 }, (_, i) =>
        row(i + 1, { nir: nirOf(i + 1, { year: 1984, month }), birth: `17/0${month}/1984` }),
      ),
    );
    const file = rollFile(`${HEADER}\n${rows.join("\n")}\n`);
    // The visibility map says which pages hold only frozen rows (no later pass needs to rewrite them).
    await sql`CREATE EXTENSION IF NOT EXISTS pg_visibility`.execute(t.ownerDb);
    // (PostgreSQL 16+ extends a table several pages at a time: its empty pages are not marked; rows count.)
    const rowsNotFrozen = async () =>
      (
        await sql<{ n: number }>`
          SELECT count(*)::int AS n FROM person
          WHERE (ctid::text::point)[0]::bigint IN (SELECT blkno FROM pg_visibility_map('person') WHERE NOT all_frozen)`.execute(
          t.ownerDb,
        )
      ).rows[0].n;
    const first = await runImport(t.db, file);
    expect(first).toMatchObject({ state: "merged", inserted: 2997 });
    expect(first.timings.mergeStrategy).toBe("first_load");
    expect(await rowsNotFrozen()).toBe(0);
    await deletePersons();
    const staged = await runImport(t.db, file, { force: true, staging: true });
    expect(staged).toMatchObject({ state: "merged", inserted: 2997 });
    expect(await rowsNotFrozen()).toBeGreaterThan(0);
    await deletePersons();
  });

  it("gives way to the staging path when a table that refers to person is in use", async () => {
    const schema = await personSchema(t.db);
    const reader = new pg.Client({ connectionString: t.url });
    await reader.connect();
    try {
      // A reader of helpline cases holds its lock: the first load, which drops that table's foreign key to
      // person with the primary key, cannot take it within its lock timeout.
      await reader.query("BEGIN");
      await reader.query("SELECT count(*) FROM helpline_case");
      const out = await runImport(t.db, rollFile(`${HEADER}\n${row(400)}\n${row(401)}\n`));
      expect(out).toMatchObject({ state: "merged", inserted: 2 });
      expect(out.timings.mergeStrategy).toBe("bulk");
      await reader.query("COMMIT");
    } finally {
      await reader.end();
    }
    expect(await personSchema(t.db)).toEqual(schema);
    await deletePersons();
  }, 30_000);

  it("a roll over its reject threshold is not loaded: it is held with its staging table, and merges once confirmed", async () => {
    const text = `${HEADER}\n${row(300)}\n${row(301, { nir: "1" })}\n${row(302)}\n`;
    const held = await runImport(t.db, rollFile(text), { thresholdPct: 5 });
    expect(held).toMatchObject({ state: "held_for_review", rejected: 1, valid: 2 });
    expect(await personCount()).toBe(0);
    await confirmHeldRoll(t.db, { enqueue: async () => undefined }, actor, { rollId: held.rollId });
    expect(await importRoll(t.db, held.rollId)).toMatchObject({ state: "merged", inserted: 2 });
    expect(await personCount()).toBe(2);
    await deletePersons();
  });

  it("a file that turns out not to be UTF-8 halfway is refused and nothing is loaded", async () => {
    const schema = await personSchema(t.db);
    // Beyond the 4 MB the format detection reads: it sees only UTF-8, the worker finds the rest.
    const file = path.join(rollDir, `first-load-mixed-${process.pid}.csv`);
    await writeSyntheticRoll(file, { rows: 60_000, seed: 29 });
    expect(statSync(file).size).toBeGreaterThan(4 * 1024 * 1024);
    appendFileSync(file, Buffer.from([0x4e, 0xe9, 0x3b, 0x0a])); // "Né;" in Windows-1252
    const out = await runImport(t.db, file);
    expect(out.state).toBe("refused");
    expect(out.refusal).toMatch(/encodage/);
    expect(await personCount()).toBe(0);
    expect(await personSchema(t.db)).toEqual(schema);
  });
});
