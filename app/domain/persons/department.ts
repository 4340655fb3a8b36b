import { type RawBuilder, sql } from "kysely";

/**
 * The department a postal code belongs to — the one rule, for the rolls, the helpline and anyone else:
 * overseas codes (97x, 98x) give their first three digits ("97110" → "971"); Corsica's 20xxx gives 2A for
 * 200xx–201xx (Ajaccio, Corse-du-Sud) and 2B from 202xx (Bastia, Haute-Corse); the mainland, the first
 * two digits ("01000" → "01"). The code is one already parsed (five digits); anything else gets its first
 * two characters. The rolls' byte path keeps a faster copy held equal to this one by department.test.ts.
 */
export function departmentOfPostalCode(postalCode: string): string {
  if (postalCode.startsWith("97") || postalCode.startsWith("98")) return postalCode.slice(0, 3);
  if (postalCode.startsWith("20")) return Number(postalCode.slice(2, 3)) <= 1 ? "2A" : "2B";
  return postalCode.slice(0, 2);
}

/**
 * "This person is in department X", as the department index reads it: person_department_code is built on
 * `department_code`, the stored department_key(department) (migrations 2026_12_06_0200 and 0400), which is
 * equal exactly when the codes are. A test on `department` itself would not use that index. `alias`: the
 * person table's alias in the query, if any.
 */
export function inDepartmentSql(department: string, alias?: string): RawBuilder<boolean> {
  return sql<boolean>`${codeColumn(alias)} = department_key(${department}::text)`;
}

/**
 * The same for any of several departments. The keys are written as calls on the codes themselves, which
 * the planner folds into constants: it estimates the rows from the column's statistics.
 */
export function inDepartmentsSql(departments: string[], alias?: string): RawBuilder<boolean> {
  const keys = departments.map((d) => sql`department_key(${d}::text)`);
  return sql<boolean>`${codeColumn(alias)} = ANY(ARRAY[${sql.join(keys)}]::bigint[])`;
}

function codeColumn(alias?: string): RawBuilder<unknown> {
  return sql.ref(alias ? `${alias}.department_code` : "department_code");
}
