import { sql } from "kysely";
import { describe, expect, it } from "vitest";
import { getPerson, searchPersons } from "../../app/domain/persons/persons.server";
import { countSegment } from "../../app/domain/waves/segment.server";
import type { WaveSegment } from "../../app/domain/waves/wave";
import { setupTestDatabase } from "../setup/database";
import { HEADER, nirOf, rollFile, row, runImport } from "./rolls-support";

/**
 * The persons of a roll: a bulk load records its new persons' block of ids on the roll; an incremental
 * merge and every change write person_roll. The persons page, the person page and the wave segments must
 * see the same persons of each roll whatever path brought them.
 */
const t = setupTestDatabase();

const roll = (ns: number[], over: (n: number) => Parameters<typeof row>[1] = () => ({})) =>
  rollFile(`${HEADER}\n${ns.map((n) => row(n, over(n))).join("\n")}\n`);
const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

async function idOf(n: number): Promise<number> {
  const p = await t.db
    .selectFrom("person")
    .select("id")
    .where("nir", "=", nirOf(n))
    .executeTakeFirstOrThrow();
  return p.id;
}

/** Every page of the persons page's roll filter, 7 at a time, as NIR numbers. */
async function pagedOfRoll(rollId: number, department?: string): Promise<string[]> {
  const nirs: string[] = [];
  let after: number | undefined;
  for (let page = 0; page < 50; page++) {
    const r = await searchPersons(t.db, { rollId, department, after, limit: 7 });
    const ids = r.persons.map((p) => p.id);
    expect(ids).toEqual([...ids].sort((a, b) => a - b));
    if (after !== undefined) expect(ids[0]).toBeGreaterThan(after);
    nirs.push(...r.persons.map((p) => p.nir));
    if (r.nextAfter === null) return nirs;
    expect(r.persons).toHaveLength(7);
    after = r.nextAfter;
  }
  throw new Error("the pages never ended");
}

describe("the persons of a roll", () => {
  it("are the same on the persons page, the person page and in a wave segment, whatever the merge path", async () => {
    // A: first load of 30 persons (10 of them in Corsica).
    const a = await runImport(
      t.db,
      roll(range(1, 30), (n) => (n > 20 ? { dept: "2A", postal: "20000" } : {})),
    );
    expect(a).toMatchObject({ state: "merged", inserted: 30 });
    const blockA = await t.db
      .selectFrom("roll")
      .select(["first_person_id", "last_person_id"])
      .where("id", "=", a.rollId)
      .executeTakeFirstOrThrow();
    // The block is the file's lines (the header's id is never used); every person of A lies in it.
    expect(Number(blockA.last_person_id) - Number(blockA.first_person_id)).toBe(30);
    const inBlock = await sql<{ n: number }>`
      SELECT count(*)::int AS n FROM person
      WHERE id BETWEEN ${blockA.first_person_id} AND ${blockA.last_person_id}`.execute(t.db);
    expect(inBlock.rows[0].n).toBe(30);
    const rolled = await sql<{ n: number }>`SELECT count(*)::int AS n FROM person_roll`.execute(t.db);
    expect(rolled.rows[0].n).toBe(0);

    // B: changes the address of 1–5, brings 3 new persons: an incremental merge (3 new rows, 30 there).
    const b = await runImport(
      t.db,
      roll([...range(1, 5), ...range(101, 103)], (n) => ({ address: `${n} allée des Tilleuls` })),
    );
    expect(b).toMatchObject({ state: "merged", inserted: 3, updated: 5 });
    const rollB = await t.db
      .selectFrom("roll")
      .select(["first_person_id", "timings"])
      .where("id", "=", b.rollId)
      .executeTakeFirstOrThrow();
    expect(rollB.first_person_id).toBeNull();
    expect((rollB.timings as { mergeStrategy?: string }).mergeStrategy).toBe("incremental");

    // C: 40 new persons and 6–7 changed, into a table of 33: a bulk merge, with a block of its own.
    const c = await runImport(
      t.db,
      roll([...range(6, 7), ...range(201, 240)], (n) => ({ address: `${n} impasse des Lilas` })),
      { staging: true },
    );
    expect(c).toMatchObject({ state: "merged", inserted: 40, updated: 2 });
    const rollC = await t.db
      .selectFrom("roll")
      .select(["first_person_id", "last_person_id", "timings"])
      .where("id", "=", c.rollId)
      .executeTakeFirstOrThrow();
    expect((rollC.timings as { mergeStrategy?: string }).mergeStrategy).toBe("bulk");
    expect(rollC.first_person_id).toBeGreaterThan(Number(blockA.last_person_id));

    const nirsOf = (ns: number[]) => ns.map((n) => nirOf(n));
    const expected = {
      a: nirsOf(range(8, 30)),
      b: nirsOf([...range(1, 5), ...range(101, 103)]),
      c: nirsOf([6, 7, ...range(201, 240)]),
    };
    // Persons page, seven at a time: each roll's persons exactly once, in id order across both scans.
    expect((await pagedOfRoll(a.rollId)).sort()).toEqual(expected.a.sort());
    expect((await pagedOfRoll(b.rollId)).sort()).toEqual(expected.b.sort());
    expect((await pagedOfRoll(c.rollId)).sort()).toEqual(expected.c.sort());
    expect((await pagedOfRoll(a.rollId, "2A")).sort()).toEqual(nirsOf(range(21, 30)).sort());
    expect(await pagedOfRoll(999_999)).toEqual([]);

    // Person page.
    expect((await getPerson(t.db, await idOf(1)))?.lastRollId).toBe(b.rollId);
    expect((await getPerson(t.db, await idOf(6)))?.lastRollId).toBe(c.rollId);
    expect((await getPerson(t.db, await idOf(8)))?.lastRollId).toBe(a.rollId);
    expect((await getPerson(t.db, await idOf(102)))?.lastRollId).toBe(b.rollId);
    expect((await getPerson(t.db, await idOf(220)))?.lastRollId).toBe(c.rollId);

    // Wave segments.
    const segment = (rollIds: number[], departments = ["31", "2A"]): WaveSegment => ({
      departments,
      mode: "pending",
      rollIds,
      ageMin: null,
      ageMax: null,
      hasEmail: "any",
    });
    expect((await countSegment(t.db, segment([a.rollId]), false)).matched).toBe(23);
    expect((await countSegment(t.db, segment([a.rollId], ["2A"]), false)).matched).toBe(10);
    expect((await countSegment(t.db, segment([b.rollId, c.rollId]), false)).matched).toBe(50);
    expect((await countSegment(t.db, segment([]), false)).matched).toBe(73);
  }, 60_000);
});
