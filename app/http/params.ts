/**
 * Query-string numbers as routes read them. `Number("9999999999999999999999")` is an integer for
 * JavaScript but no bigint for PostgreSQL: ids and pages are safe integers or nothing.
 */
const MAX_PAGE = 1_000_000;

/** A page number from 1 (anything else, or absurdly far, is the first or the last allowed page). */
export function pageParam(value: string | null): number {
  const n = Number(value);
  return Number.isSafeInteger(n) && n >= 1 ? Math.min(n, MAX_PAGE) : 1;
}
