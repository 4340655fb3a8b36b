import type { Channel } from "../../../db/tables/waves";

/**
 * The channel of a notice (code de la santé publique, art. R1111-28): by email to the address on file when
 * there is a valid one that has not bounced, by post otherwise — and by post again when the email fails
 * (fallback.server.ts). A wave may also send letters to everyone (its `forceLetters` setting).
 *
 * This file is the rule. Its SQL twin, `channelSql` in channel-sql.server.ts (the waves' segment), is held
 * equal to it row by row against PostgreSQL by test/integration/waves-channel.test.ts. The waves' single
 * notifications and the helpline ask `hasUsableEmail` before offering or sending an email.
 */

/**
 * Whitespace as JavaScript's `\s` means it (ECMAScript WhiteSpace and LineTerminator), spelt out rather than
 * written `\s`: PostgreSQL's `\s` follows the database's locale (with C.UTF-8 it leaves out U+00A0, U+2007,
 * U+202F and U+FEFF), the set written here reads the same in both engines.
 */
const WHITESPACE = "\\t\\n\\v\\f\\r \\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000\\ufeff";

/** A plausible address: something@something.something, without whitespace or a second `@`. */
export const EMAIL_PATTERN = `^[^@${WHITESPACE}]+@[^@${WHITESPACE}]+\\.[^@${WHITESPACE}]+$`;
const EMAIL = new RegExp(EMAIL_PATTERN);

/** What of a person the rule reads: their own address on file and whether it bounced. */
export interface ContactOnFile {
  email: string | null;
  email_bounced_at: Date | null;
}

/** Whether the person can be written to by email: a plausible address that has not bounced. */
export function hasUsableEmail(person: ContactOnFile): boolean {
  return person.email != null && person.email_bounced_at == null && EMAIL.test(person.email);
}

/** The channel of a person's notice: email when they have a usable address (and letters are not forced). */
export function channelFor(person: ContactOnFile, forceLetters = false): Channel {
  return !forceLetters && hasUsableEmail(person) ? "email" : "letter";
}
