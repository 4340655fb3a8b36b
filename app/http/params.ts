import { z } from "zod";

/**
 * Numbers as routes read them from a path, a query string or a form. `Number("9999999999999999999999")`
 * is an integer for JavaScript but no bigint for PostgreSQL: ids and pages are safe integers or nothing,
 * so that an absurd value is refused as such instead of reaching the database as an error.
 */
const MAX_PAGE = 1_000_000;

/** A page number from 1 (anything else, or absurdly far, is the first or the last allowed page). */
export function pageParam(value: string | null | undefined): number {
  const n = Number(value);
  return Number.isSafeInteger(n) && n >= 1 ? Math.min(n, MAX_PAGE) : 1;
}

/** A record id from a path segment, or null when it cannot name a record (the route answers 404). */
export function recordIdParam(value: string | null | undefined): number | null {
  const n = Number(value);
  return Number.isSafeInteger(n) && n > 0 ? n : null;
}

/** A record id posted by a form: the same rule as `recordIdParam`, with the field's own French message. */
export function recordId(message = "Identifiant invalide.") {
  return z.coerce
    .number({ invalid_type_error: message })
    .int(message)
    .positive(message)
    .max(Number.MAX_SAFE_INTEGER, message);
}
