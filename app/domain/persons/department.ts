import { type RawBuilder, sql } from "kysely";

/**
 * "This person is in department X", as the department index reads it: person_department_key is built on
 * department_key(department) (migration 2026_12_06_0200), which is equal exactly when the codes are. A
 * test on the bare column would not use that index.
 */
export function inDepartmentSql(department: string, column = "department"): RawBuilder<boolean> {
  return sql<boolean>`department_key(${sql.ref(column)}) = department_key(${department}::text)`;
}

/** The same for any of several departments. */
export function inDepartmentsSql(departments: string[], column = "department"): RawBuilder<boolean> {
  return sql<boolean>`department_key(${sql.ref(column)}) = ANY(ARRAY(SELECT department_key(d) FROM unnest(${departments}::text[]) d))`;
}
