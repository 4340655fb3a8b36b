import path from "node:path";
import { sql } from "kysely";
import pg from "pg";
import { describe, expect, it } from "vitest";
import { ofRollsSql } from "../../app/domain/rolls/roll-persons";
import { writeSyntheticRoll } from "../../cli/synthetic-roll";
import { setupTestDatabase } from "../setup/database";
import { expectRollupsMatchPersons } from "./lifecycle-support";
import { HEADER, nirOf, personSchema, rollDir, rollFile, row, runImport } from "./rolls-support";

/**
 * The two merge strategies (app/domain/rolls/merge.server.ts) must give the same persons, and the bulk one
 * must leave the person table exactly as the migrations define it.
 */
const t = setupTestDatabase();

/** Persons as the merge leaves them, ids replaced by NIRs (ids differ between two loads). */
async function personsByNir(): Promise<string[]> {
  const r = await sql<{ line: string }>`
    SELECT concat_ws('|', p.nir, p.last_name, p.first_name, p.birth_date, p.department, p.address_line,
                     p.postal_code, p.city, p.email, p.phone, p.state, h.nir) AS line
    FROM person p LEFT JOIN person h ON h.id = p.holder_id ORDER BY p.nir`.execute(t.db);
  return r.rows.map((x) => x.line);
}

async function deletePersons(): Promise<void> {
  await sql`UPDATE person SET holder_id = NULL WHERE holder_id IS NOT NULL`.execute(t.db);
  await sql`DELETE FROM person_contact_history`.execute(t.db);
  await sql`DELETE FROM person`.execute(t.db);
}

describe("roll merge strategies", () => {
  it("loads an empty table (first load), rebuilds every index and constraint, keeps the rollups; the bulk and incremental strategies give the same persons", async () => {
    const file = path.join(rollDir, `merge-${process.pid}.csv`);
    await writeSyntheticRoll(file, { rows: 3000, seed: 7, errorShare: 0.01 });
    const schema = await personSchema(t.db);

    const bulk = await runImport(t.db, file);
    expect(bulk).toMatchObject({ state: "merged", updated: 0 });
    expect(bulk.timings.mergeStrategy).toBe("first_load");
    expect(bulk.inserted).toBe(bulk.valid);
    expect(await personSchema(t.db)).toEqual(schema);
    await expectRollupsMatchPersons(t.db);
    const daily = await sql<{ n: number }>`
      SELECT coalesce(sum(n), 0)::int AS n FROM funnel_daily WHERE state_from = 'new'`.execute(t.db);
    expect(daily.rows[0].n).toBe(bulk.inserted);
    const dependants = await sql<{ n: number }>`
      SELECT count(*)::int AS n FROM person WHERE holder_id IS NOT NULL`.execute(t.db);
    expect(dependants.rows[0].n).toBeGreaterThan(0);
    const loaded = await personsByNir();
    expect(loaded).toHaveLength(bulk.inserted);

    // The staging path's bulk strategy on the same file.
    await deletePersons();
    const staged = await runImport(t.db, file, { force: true, staging: true });
    expect(staged).toMatchObject({ state: "merged", inserted: bulk.inserted, rejected: bulk.rejected });
    expect(staged.timings.mergeStrategy).toBe("bulk");
    expect(await personsByNir()).toEqual(loaded);
    expect(await personSchema(t.db)).toEqual(schema);
    await expectRollupsMatchPersons(t.db);

    // Same file again into an empty table, while a reader holds the table: the bulk strategy cannot take
    // its lock and the merge goes incremental instead of waiting.
    await deletePersons();
    const reader = new pg.Client({ connectionString: t.url });
    await reader.connect();
    try {
      await reader.query("BEGIN");
      await reader.query("LOCK TABLE person IN ACCESS SHARE MODE");
      const incremental = await runImport(t.db, file, { force: true, staging: true });
      expect(incremental).toMatchObject({ state: "merged", inserted: bulk.inserted, updated: 0 });
      expect(incremental.timings.mergeStrategy).toBe("incremental");
    } finally {
      await reader.query("ROLLBACK");
      await reader.end();
    }
    expect(await personsByNir()).toEqual(loaded);
    expect(await personSchema(t.db)).toEqual(schema);
    await expectRollupsMatchPersons(t.db);
  }, 60_000);

  it("a re-import with a few changes goes incremental and only updates what changed", async () => {
    const file = path.join(rollDir, `merge-changed-${process.pid}.csv`);
    await writeSyntheticRoll(file, { rows: 3000, seed: 7, errorShare: 0.01, changedShare: 0.1 });
    const before = await personsByNir();
    const out = await runImport(t.db, file);
    expect(out.state).toBe("merged");
    expect(out.timings.mergeStrategy).toBe("incremental");
    expect(out.inserted).toBe(0);
    expect(out.updated).toBeGreaterThan(0);
    expect(out.updated + out.unchanged).toBe(out.valid);
    const after = await personsByNir();
    const changed = after.filter((line, i) => line !== before[i]).length;
    expect(changed).toBe(out.updated);
    const history = await sql<{ n: number }>`
      SELECT count(*)::int AS n FROM person_contact_history WHERE roll_id = ${out.rollId}`.execute(t.db);
    expect(history.rows[0].n).toBe(out.updated);
    await expectRollupsMatchPersons(t.db);
  }, 60_000);

  it("bulk-loads a roll larger than the table: dependants find holders among existing persons and in the roll", async () => {
    await deletePersons();
    const holderInDb = nirOf(501);
    const small = await runImport(t.db, rollFile(`${HEADER}\n${row(501)}\n${row(502)}\n`));
    expect(small).toMatchObject({ state: "merged", inserted: 2 });
    const child = (n: number, holder: string) =>
      row(n, { nir: nirOf(n, { year: 2012, month: 3 }), birth: "01/03/2012", holder });
    const lines = [
      row(502, { address: "3 place du Capitole" }), // existing person, contact changed
      child(601, holderInDb), // holder already in the database
      child(602, nirOf(700)), // holder later in the same roll
      ...Array.from({ length: 8 }, (_, i) => row(700 + i)),
    ];
    const big = await runImport(t.db, rollFile(`${HEADER}\n${lines.join("\n")}\n`));
    expect(big).toMatchObject({ state: "merged", inserted: 10, updated: 1, unchanged: 0 });
    expect(big.timings.mergeStrategy).toBe("bulk");
    const links = await sql<{ nir: string; holder: string }>`
      SELECT p.nir, h.nir AS holder FROM person p JOIN person h ON h.id = p.holder_id ORDER BY p.nir`.execute(
      t.db,
    );
    expect(links.rows.map((r) => [r.nir.trim(), r.holder.trim()])).toEqual([
      [nirOf(601, { year: 2012, month: 3 }), holderInDb],
      [nirOf(602, { year: 2012, month: 3 }), nirOf(700)],
    ]);
    const moved = await t.db
      .selectFrom("person")
      .select("address_line")
      .where("nir", "=", nirOf(502))
      .executeTakeFirstOrThrow();
    expect(moved.address_line).toBe("3 place du Capitole");
    // New ids come after every existing one, and the sequence continues after them.
    const ids = await sql<{ max_existing: string; min_new: string }>`
      SELECT (SELECT max(id) FROM person p WHERE ${ofRollsSql([small.rollId])}) AS max_existing,
             (SELECT min(id) FROM person p WHERE ${ofRollsSql([big.rollId])} AND nir <> ${nirOf(502)}) AS min_new`.execute(
      t.db,
    );
    expect(Number(ids.rows[0].min_new)).toBeGreaterThan(Number(ids.rows[0].max_existing));
    const next = await runImport(t.db, rollFile(`${HEADER}\n${row(800)}\n`));
    const last = await t.db
      .selectFrom("person")
      .select(sql<string>`max(id)`.as("id"))
      .executeTakeFirstOrThrow();
    const added = await t.db
      .selectFrom("person as p")
      .select("id")
      .where(ofRollsSql([next.rollId]))
      .executeTakeFirstOrThrow();
    expect(String(added.id)).toBe(String(last.id));
    await expectRollupsMatchPersons(t.db);
  }, 60_000);
  it("refuses the same duplicates and orphans from the parse's list of possible duplicates as from every NIR", async () => {
    // A roll with every kind of error (duplicate NIRs, unknown holders among them), staged twice.
    await deletePersons();
    const file = path.join(rollDir, `every-nir-${process.pid}.csv`);
    await writeSyntheticRoll(file, { rows: 6000, seed: 41, errorShare: 0.03 });
    const rejectsOf = async (rollId: number) =>
      (
        await sql<{ line: string }>`
          SELECT concat_ws('|', line, field, reason, message, ref_line, raw) AS line
          FROM roll_reject WHERE roll_id = ${rollId} ORDER BY line, reason`.execute(t.db)
      ).rows.map((r) => r.line);
    const listed = await runImport(t.db, file, { staging: true, thresholdPct: 50 });
    expect(listed.state).toBe("merged");
    const listedPersons = await personsByNir();
    const listedRejects = await rejectsOf(listed.rollId);
    expect(listedRejects.filter((r) => r.includes("|duplicate_nir|")).length).toBeGreaterThan(0);
    expect(listedRejects.filter((r) => r.includes("|holder_not_found|")).length).toBeGreaterThan(0);
    await deletePersons();
    const every = await runImport(t.db, file, {
      staging: true,
      thresholdPct: 50,
      force: true,
      checkEveryNir: true,
    });
    expect(every).toMatchObject({ state: "merged", rejected: listed.rejected, inserted: listed.inserted });
    expect(await personsByNir()).toEqual(listedPersons);
    expect(await rejectsOf(every.rollId)).toEqual(listedRejects);
    await deletePersons();
  }, 60_000);
});
