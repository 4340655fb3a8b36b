import type { ColumnMap } from "./columns";
import type { ChunkBuilder, RowChecker, RowTarget } from "./row-checker";
import {
  departmentOfPostalCode,
  isRealDate,
  parseDepartment,
  parseEmail,
  parsePhone,
  type RuleResult,
} from "./rules";

/**
 * The byte path of the row checks: a quote-free line of a UTF-8 roll is checked and written as COPY text
 * straight from the file's bytes. Decoding the line, splitting it and building a string per field cost the
 * parse worker more than the checks themselves (a short string is ~60 ns; a roll row has eleven fields).
 *
 * It accepts only a row that the string path (RowChecker.check) accepts as written: every field valid and
 * already in its normal form (a name trimmed with single spaces, a date the string path would read, …), no
 * warning; and it writes the same bytes. For anything else — a refusal, a warning, a value to normalise, a
 * character it does not read (a quote, a backslash, a character of three UTF-8 bytes or more) — it returns
 * false having written nothing, and the line goes through the string path, which decides and words the
 * message. Short ASCII fields that only some rows have (email, phone) are read by the rules themselves from
 * a string. row-bytes.test.ts holds both paths to the same output.
 */

/** parseDepartment's values that are their own input ("01", "2A", "971"), by their bytes. */
const DEPARTMENTS = new Map<number, string>();
{
  const candidates: string[] = ["2A", "2B"];
  for (let n = 0; n < 100; n++) candidates.push(String(n).padStart(2, "0"));
  for (let n = 900; n < 1000; n++) candidates.push(String(n));
  for (const s of candidates) {
    const r = parseDepartment(s);
    if (r.ok && r.value === s) DEPARTMENTS.set(bytesKey(s), s);
  }
}

function bytesKey(s: string): number {
  let k = 0;
  for (let i = 0; i < s.length; i++) k = k * 256 + s.charCodeAt(i);
  return k;
}

/** departmentOfPostalCode by the postal code's first three digits (a shared string per department). */
const POSTAL_DEPARTMENT = Array.from({ length: 1000 }, (_, head) =>
  departmentOfPostalCode(`${String(head).padStart(3, "0")}00`),
);

const isDigit = (c: number) => c >= 48 && c <= 57;

/** The number the digits from `start` to `end` (excluded) make, or -1 if one is not a digit. */
function digits(b: Uint8Array, start: number, end: number): number {
  let n = 0;
  for (let i = start; i < end; i++) {
    const d = b[i] - 48;
    if (d < 0 || d > 9) return -1;
    n = n * 10 + d;
  }
  return n;
}

/**
 * A valid NIR of exactly 15 characters (checkNir returns it unchanged) as its nirIdentity, or -1. The same
 * reading as checkNir's: digits with 2A/2B at 5–6, sex, month, and the key 97 − (N mod 97) with Corsica's
 * 2A/2B counted as 19/18, N read in two parts since 10^6 ≡ 27 (mod 97).
 */
export function nirAt(b: Uint8Array, start: number, end: number): number {
  if (end - start !== 15) return -1;
  const sex = b[start] - 48;
  if (sex !== 1 && sex !== 2 && sex !== 3 && sex !== 4 && sex !== 7 && sex !== 8) return -1;
  const high = digits(b, start, start + 5);
  const low = digits(b, start + 7, start + 13);
  const key = digits(b, start + 13, start + 15);
  if (high < 0 || low < 0 || key < 0) return -1;
  const month = high % 100;
  if (!((month >= 1 && month <= 12) || (month >= 20 && month <= 42) || month >= 50)) return -1;
  const c5 = b[start + 5];
  const c6 = b[start + 6];
  let department: number;
  let counted: number;
  if (c5 === 50 && (c6 === 65 || c6 === 66)) {
    department = 100 + c6 - 65;
    counted = c6 === 65 ? 19 : 18;
  } else {
    if (!isDigit(c5) || !isDigit(c6)) return -1;
    department = (c5 - 48) * 10 + (c6 - 48);
    counted = department;
  }
  if (97 - ((((high * 100 + counted) % 97) * 27 + low) % 97) !== key) return -1;
  return (high * 102 + department) * 1_000_000 + low;
}

/**
 * A name or an address that tidyText returns as it is, and that COPY takes without escaping: its length in
 * UTF-16 units, or -1. ASCII without control characters or backslash, single spaces inside, none at either
 * end; beyond ASCII only the letters of two UTF-8 bytes from U+00C0 on (é, ç, ß, Ł, ř, ş…), none of which is
 * white space (U+00A0, a space for trim(), is C2 A0: left to the string path).
 */
export function tidyLength(b: Uint8Array, start: number, end: number): number {
  if (end === start || b[start] === 32 || b[end - 1] === 32) return -1;
  let units = 0;
  let space = false;
  for (let i = start; i < end; i++) {
    const c = b[i];
    if (c < 0x80) {
      if (c < 32 || c === 92 || c === 127 || (c === 32 && space)) return -1;
      space = c === 32;
    } else if (c >= 0xc3 && c <= 0xdf && i + 1 < end && (b[i + 1] & 0xc0) === 0x80) {
      i++;
      space = false;
    } else return -1;
    units++;
  }
  return units;
}

type Columns = Required<
  Pick<ColumnMap, "nir" | "last_name" | "first_name" | "birth_date" | "address_line" | "postal_code" | "city">
> &
  ColumnMap;

export class RowBytes {
  private readonly c: Columns;
  /** Where each field starts, and one past the end of the last (so field k ends at starts[k + 1] - 1). */
  private readonly starts: Int32Array;
  private readonly delimiter: number;
  private readonly today: number;

  constructor(
    private readonly checker: RowChecker,
    columns: ColumnMap,
    private readonly width: number,
    delimiter: string,
    private readonly target: RowTarget,
  ) {
    this.c = columns as Columns;
    this.starts = new Int32Array(width + 1);
    this.delimiter = delimiter.charCodeAt(0);
    this.today = Number(checker.today.replaceAll("-", ""));
  }

  /** A birth date in a layout of nearly every roll (JJ/MM/AAAA, with . or - too, or AAAA-MM-JJ) as YYYYMMDD, or -1. */
  private birthDate(b: Uint8Array, start: number, end: number): number {
    if (end - start !== 10) return -1;
    const sep = b[start + 2];
    let y: number;
    let m: number;
    let d: number;
    if ((sep === 47 || sep === 46 || sep === 45) && b[start + 5] === sep) {
      d = digits(b, start, start + 2);
      m = digits(b, start + 3, start + 5);
      y = digits(b, start + 6, start + 10);
    } else if (b[start + 4] === 45 && b[start + 7] === 45) {
      y = digits(b, start, start + 4);
      m = digits(b, start + 5, start + 7);
      d = digits(b, start + 8, start + 10);
    } else return -1;
    if (y < 1880 || m < 0 || d < 0 || !isRealDate(y, m, d)) return -1;
    const date = y * 10000 + m * 100 + d;
    return date > this.today ? -1 : date;
  }

  /**
   * An optional ASCII field (email, phone), empty or read by its rule from a string: its value, null when
   * empty, false when the string path must read the line (not ASCII, or refused).
   */
  private optional(
    b: Buffer,
    k: number,
    rule: (input: string) => RuleResult<string | null>,
  ): string | null | false {
    const start = this.starts[k];
    const end = this.starts[k + 1] - 1;
    if (end === start) return null;
    for (let i = start; i < end; i++) if (b[i] >= 0x80) return false;
    const r = rule(latin1(b, start, end));
    return r.ok ? r.value : false;
  }

  /**
   * Checks and writes the line [start, end) of `b` (no quote in it, no line ending) at physical line `line`.
   * False: nothing was written; the string path must read the line.
   */
  row(b: Buffer, start: number, end: number, line: number, out: ChunkBuilder): boolean {
    const st = this.starts;
    const width = this.width;
    const delimiter = this.delimiter;
    let n = 1;
    st[0] = start;
    for (let i = start; i < end; i++)
      if (b[i] === delimiter) {
        if (n === width) return false;
        st[n++] = i + 1;
      }
    if (n !== width) return false;
    st[width] = end + 1;
    const c = this.c;
    const nirStart = st[c.nir];
    const nir = nirAt(b, nirStart, st[c.nir + 1] - 1);
    if (nir < 0) return false;
    const birth = this.birthDate(b, st[c.birth_date], st[c.birth_date + 1] - 1);
    if (birth < 0) return false;
    // The NIR's year and month of birth agree with the date (a mismatch is a warning: string path).
    const year = Math.floor(birth / 10000);
    const month = Math.floor(birth / 100) % 100;
    const nirMonth = (b[nirStart + 3] - 48) * 10 + (b[nirStart + 4] - 48);
    if (
      b[nirStart + 1] - 48 !== Math.floor(year / 10) % 10 ||
      b[nirStart + 2] - 48 !== year % 10 ||
      (nirMonth >= 1 && nirMonth <= 12 && nirMonth !== month)
    )
      return false;
    const lastLength = tidyLength(b, st[c.last_name], st[c.last_name + 1] - 1);
    const firstLength = tidyLength(b, st[c.first_name], st[c.first_name + 1] - 1);
    const addressLength = tidyLength(b, st[c.address_line], st[c.address_line + 1] - 1);
    const cityLength = tidyLength(b, st[c.city], st[c.city + 1] - 1);
    if (
      lastLength < 0 ||
      lastLength > 100 ||
      firstLength < 0 ||
      firstLength > 100 ||
      addressLength < 0 ||
      addressLength > 200 ||
      cityLength < 0 ||
      cityLength > 100
    )
      return false;
    const postalStart = st[c.postal_code];
    if (st[c.postal_code + 1] - 1 - postalStart !== 5 || digits(b, postalStart, postalStart + 5) < 1000)
      return false;
    const postalDepartment = POSTAL_DEPARTMENT[digits(b, postalStart, postalStart + 3)];
    if (c.department !== undefined) {
      const s = st[c.department];
      const length = st[c.department + 1] - 1 - s;
      if (length !== 2 && length !== 3) return false;
      const written = DEPARTMENTS.get(
        length === 2 ? b[s] * 256 + b[s + 1] : (b[s] * 256 + b[s + 1]) * 256 + b[s + 2],
      );
      // Unknown, or not the postal code's (a warning): the string path.
      if (written !== postalDepartment) return false;
    }
    const email = c.email === undefined ? null : this.optional(b, c.email, parseEmail);
    if (email === false) return false;
    const phone = c.phone === undefined ? null : this.optional(b, c.phone, parsePhone);
    if (phone === false) return false;
    let holder = -1;
    let holderStart = 0;
    if (c.holder_nir !== undefined) {
      holderStart = st[c.holder_nir];
      const holderEnd = st[c.holder_nir + 1] - 1;
      if (holderEnd > holderStart) {
        holder = nirAt(b, holderStart, holderEnd);
        if (holder < 0 || holder === nir) return false;
      }
    }

    const w = out.staging;
    const holderLine = holder < 0 ? 0 : this.checker.recentLineOf(holder);
    if (this.target.kind === "person") w.int(this.target.idBase + line);
    else w.int(line);
    w.tab()
      .bytes(b, nirStart, nirStart + 15)
      .tab();
    w.bytes(b, st[c.last_name], st[c.last_name + 1] - 1).tab();
    w.bytes(b, st[c.first_name], st[c.first_name + 1] - 1).tab();
    w.padded(year, 4)
      .raw("-")
      .padded(month, 2)
      .raw("-")
      .padded(birth % 100, 2)
      .tab();
    w.raw(postalDepartment).tab();
    w.bytes(b, st[c.address_line], st[c.address_line + 1] - 1).tab();
    w.bytes(b, postalStart, postalStart + 5).tab();
    w.bytes(b, st[c.city], st[c.city + 1] - 1).tab();
    w.nullable(email).tab().nullable(phone).tab();
    if (this.target.kind === "person") {
      if (holderLine > 0) w.int(this.target.idBase + holderLine);
      else w.raw("\\N");
      w.endRow();
      if (holder >= 0)
        out.dependants += `${line}\t${latin1(b, nirStart, nirStart + 15)}\t${latin1(b, holderStart, holderStart + 15)}\t${holderLine > 0 ? "t" : "f"}\n`;
    } else {
      if (holder >= 0) w.bytes(b, holderStart, holderStart + 15);
      else w.raw("\\N");
      w.tab()
        .raw(holderLine > 0 ? "t" : "f")
        .endRow();
    }
    out.valid++;
    this.checker.written(nir, line, postalDepartment);
    return true;
  }
}

/** Buffer's one-byte-string slice: for ASCII, what toString("latin1", …) returns without its argument checks. */
const latin1 = (b: Buffer, start: number, end: number): string =>
  (b as Buffer & { latin1Slice(start: number, end: number): string }).latin1Slice(start, end);
