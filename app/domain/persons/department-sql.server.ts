import { type RawBuilder, sql } from "kysely";

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
