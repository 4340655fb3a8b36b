import { sql } from "kysely";
import { describe, expect, it } from "vitest";
import { searchPersons } from "../../app/domain/persons/persons.server";
import { knownDepartments } from "../../app/domain/waves/preview.server";
import { countSegment } from "../../app/domain/waves/segment.server";
import { insertPersons } from "../factories";
import { setupTestDatabase } from "../setup/database";

/**
 * The department index is built on department_code, the stored department_key(department) (migrations
 * 2026_12_06_0200 and 0400): its readers must find exactly the persons of a department, and list the
 * departments in the codes' order.
 */
const t = setupTestDatabase();

describe("department_key", () => {
  it("is equal exactly when the codes are, and orders them as the C collation does", async () => {
    const codes = [
      "01",
      "09",
      "19",
      "21",
      "2A",
      "2B",
      "95",
      "971",
      "974",
      "976",
      "98",
      "1",
      "",
      "é",
      "éa",
      "Z9",
      "zz9",
    ];
    const r = await sql<{ same: boolean; ordered: boolean }>`
      SELECT bool_and((department_key(a) = department_key(b)) = (a = b)) AS same,
             bool_and((department_key(a) < department_key(b)) = (a COLLATE "C" < b COLLATE "C")) AS ordered
      FROM unnest(${codes}::text[]) a, unnest(${codes}::text[]) b`.execute(t.db);
    expect(r.rows[0]).toEqual({ same: true, ordered: true });
  });
});

describe("departments on the persons page and in wave segments", () => {
  it("finds each department's persons, and lists the departments in order", async () => {
    const byDepartment: Record<string, number> = { "2B": 3, "01": 2, "971": 2, "2A": 4, "21": 1, "98": 1 };
    let offset = 0;
    for (const [department, count] of Object.entries(byDepartment)) {
      const ids = await insertPersons(t.db, { count, state: "pending", offset });
      offset += count;
      await sql`UPDATE person SET department = ${department} WHERE id = ANY(${ids}::bigint[])`.execute(t.db);
    }
    await sql`ANALYZE person`.execute(t.db);
    expect(await knownDepartments(t.db)).toEqual(["01", "21", "2A", "2B", "971", "98"]);
    for (const [department, count] of Object.entries(byDepartment)) {
      const found = await searchPersons(t.db, { department: department.toLowerCase(), limit: 50 });
      expect(found.persons.map((p) => p.department)).toEqual(Array(count).fill(department));
    }
    const segment = await countSegment(
      t.db,
      {
        departments: ["2A", "2B", "976"],
        mode: "pending",
        rollIds: [],
        ageMin: null,
        ageMax: null,
        hasEmail: "any",
      },
      false,
    );
    expect(segment.matched).toBe(7);
  });
});
