import { describe, expect, it } from "vitest";
import { formatNir, maskNir } from "../../app/domain/persons/nir";
import {
  getPerson,
  personTimeline,
  searchPersons,
  searchPersonsByNir,
} from "../../app/domain/persons/persons.server";
import { setupTestDatabase } from "../setup/database";
import { HEADER, nirOf, rollFile, row, runImport } from "./rolls-support";

const t = setupTestDatabase();

describe("persons search", () => {
  it("audits a search by NIR with the NIR masked, refused or not", async () => {
    const roll = await runImport(t.db, rollFile(`${HEADER}\n${row(71, { last: "Perrin" })}\n`));
    expect(roll.inserted).toBe(1);
    const actor = { userId: null, label: "agent@exemple.fr", ip: "127.0.0.1" };
    const found = await searchPersonsByNir(t.db, actor, { nir: formatNir(nirOf(71)) });
    expect(found.ok && found.persons.map((p) => p.lastName)).toEqual(["Perrin"]);
    const refused = await searchPersonsByNir(t.db, actor, { nir: "1 84 05 31 555 001 00" });
    expect(refused).toMatchObject({ ok: false, message: expect.stringContaining("clé NIR invalide") });
    const audit = await t.db
      .selectFrom("audit_log")
      .select(["object_id", "details"])
      .where("action", "=", "person.searched")
      .orderBy("id")
      .execute();
    expect(audit).toEqual([
      {
        object_id: String(found.ok && found.persons[0].id),
        details: { nirMasked: maskNir(nirOf(71)), valid: true, results: 1 },
      },
      { object_id: null, details: { nirMasked: maskNir("184053155500100"), valid: false, results: 0 } },
    ]);
    expect(JSON.stringify(audit)).not.toContain(nirOf(71).slice(5, 13));
  });

  it("finds by exact NIR with any spacing, by name + birth date, with filters, page by page", async () => {
    const lines = [
      row(1, { last: "Lefèvre", first: "Hélène" }),
      row(2, { last: "LEFÈVRE", first: "Marc" }),
      row(3, { last: "Martin", dept: "31" }),
    ];
    for (let n = 10; n < 60; n++)
      lines.push(row(n, { last: "Dupont", postal: "44000", city: "Nantes", dept: "44" }));
    const roll = await runImport(t.db, rollFile(`${HEADER}\n${lines.join("\n")}\n`));
    expect(roll.inserted).toBe(53);

    const byNir = await searchPersons(t.db, { nir: ` ${formatNir(nirOf(2))} ` });
    expect(byNir.persons.map((p) => p.firstName)).toEqual(["Marc"]);

    const byName = await searchPersons(t.db, { lastName: "lefèvre", birthDate: "1984-05-17" });
    expect(byName.persons.map((p) => p.firstName).sort()).toEqual(["Hélène", "Marc"]);
    const withFirst = await searchPersons(t.db, {
      lastName: "Lefèvre",
      firstName: "hélène",
      birthDate: "1984-05-17",
    });
    expect(withFirst.persons).toHaveLength(1);

    const page1 = await searchPersons(t.db, {
      department: "44",
      state: "pending",
      rollId: roll.rollId,
      limit: 20,
    });
    expect(page1.persons).toHaveLength(20);
    const page2 = await searchPersons(t.db, {
      department: "44",
      rollId: roll.rollId,
      limit: 20,
      after: page1.nextAfter ?? 0,
    });
    const page3 = await searchPersons(t.db, {
      department: "44",
      rollId: roll.rollId,
      limit: 20,
      after: page2.nextAfter ?? 0,
    });
    expect(page3.persons).toHaveLength(10);
    expect(page3.nextAfter).toBeNull();
    const ids = [...page1.persons, ...page2.persons, ...page3.persons].map((p) => p.id);
    expect(new Set(ids).size).toBe(50);
    expect(await searchPersons(t.db, { department: "44", state: "notified" })).toEqual({
      persons: [],
      nextAfter: null,
    });
  });

  it("shows a person with history, family and a timeline of every source", async () => {
    const holder = nirOf(100);
    const child = row(101, { nir: nirOf(101, { year: 2015, month: 1 }), birth: "01/01/2015", holder });
    await runImport(t.db, rollFile(`${HEADER}\n${row(100)}\n${child}\n`));
    await runImport(
      t.db,
      rollFile(`${HEADER}\n${row(100, { address: "9 rue Neuve", email: "h@exemple.fr" })}\n`),
    );
    const { id } = await t.db
      .selectFrom("person")
      .select("id")
      .where("nir", "=", holder)
      .executeTakeFirstOrThrow();
    await t.db
      .insertInto("person_event")
      .values({
        person_id: id,
        type: "notify",
        at: new Date(Date.now() + 1000),
        source: "job",
        from_state: "pending",
        to_state: "notified",
        details: "{}",
      })
      .execute();
    const person = await getPerson(t.db, id);
    expect(person).toMatchObject({
      addressLine: "9 rue Neuve",
      email: "h@exemple.fr",
      dependants: [{ firstName: "Hélène", birthDate: "2015-01-01" }],
    });
    expect(person?.contactHistory).toMatchObject([{ addressLine: "100 rue de la République", email: null }]);
    const timeline = await personTimeline(t.db, id);
    expect(timeline.map((e) => e.title)).toEqual([
      "Notification → notifié",
      "Coordonnées mises à jour",
      "Assuré enregistré (fichier d'assurés)",
    ]);
    expect(timeline[0].source).toBe("automatique");
  });
});
