/**
 * Row validation rules of a roll, without I/O. Each returns the normalised value or a problem whose message
 * is French and names the value; the caller adds the line number.
 *
 * A roll has millions of rows, nearly all well written: each rule first reads the usual shapes by character
 * codes, without regular expressions or substrings, and returns the value the general rule would return.
 * Anything else (odd layouts, and every refusal, whose message names the value) goes through the general
 * rule. `generalRules` exposes those for the tests that prove both paths agree.
 */
import { departmentOfPostalCode as departmentOfGeneralRule } from "../persons/department";

export type RuleResult<T> = { ok: true; value: T } | { ok: false; message: string };

const ok = <T>(value: T): RuleResult<T> => ({ ok: true, value });
const bad = <T>(message: string): RuleResult<T> => ({ ok: false, message });

/** What `trim()` removes and `\s` matches (JavaScript white space and line terminators), by code unit. */
export function isJsSpace(c: number): boolean {
  if (c <= 32) return c === 32 || (c >= 9 && c <= 13);
  if (c < 0xa0) return false;
  return (
    c === 0xa0 ||
    c === 0x1680 ||
    (c >= 0x2000 && c <= 0x200a) ||
    c === 0x2028 ||
    c === 0x2029 ||
    c === 0x202f ||
    c === 0x205f ||
    c === 0x3000 ||
    c === 0xfeff
  );
}

/** `s.trim()`, without the call when neither end is white space (nearly always). */
function trimmed(s: string): string {
  const n = s.length;
  return n > 0 && (isJsSpace(s.charCodeAt(0)) || isJsSpace(s.charCodeAt(n - 1))) ? s.trim() : s;
}

/** The digit at `i`, or -1. */
function digitAt(s: string, i: number): number {
  const d = s.charCodeAt(i) - 48;
  return d >= 0 && d <= 9 ? d : -1;
}

/** "00" to "99": two-digit codes returned without building a string per row. */
const TWO_DIGITS = Array.from({ length: 100 }, (_, n) => String(n).padStart(2, "0"));

export function isRealDate(year: number, month: number, day: number): boolean {
  if (month < 1 || month > 12 || day < 1) return false;
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  const days =
    month === 2 ? (leap ? 29 : 28) : month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
  return day <= days;
}

const ISO_DATE = /^(\d{4})-(\d{1,2})-(\d{1,2})$/;
const FRENCH_DATE = /^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})$/;
const COMPACT_DATE = /^(\d{4})(\d{2})(\d{2})$/;

/** The number written by the digits of `s` from `start` to `end` (excluded), or -1 if one is not a digit. */
function digitsValue(s: string, start: number, end: number): number {
  let n = 0;
  for (let i = start; i < end; i++) {
    const d = digitAt(s, i);
    if (d < 0) return -1;
    n = n * 10 + d;
  }
  return n;
}

/** The date of the accepted layouts as the number YYYYMMDD (no array per row), or -1. */
function splitDate(s: string): number {
  // The two layouts of nearly every roll, read without a regular expression (millions of rows).
  if (s.length === 10) {
    const sep = s.charCodeAt(2);
    if ((sep === 47 || sep === 46 || sep === 45) && s.charCodeAt(5) === sep) {
      const d = digitsValue(s, 0, 2);
      const m = digitsValue(s, 3, 5);
      const y = digitsValue(s, 6, 10);
      if (d >= 0 && m >= 0 && y >= 0) return y * 10000 + m * 100 + d;
    }
    if (s.charCodeAt(4) === 45 && s.charCodeAt(7) === 45) {
      const y = digitsValue(s, 0, 4);
      const m = digitsValue(s, 5, 7);
      const d = digitsValue(s, 8, 10);
      if (d >= 0 && m >= 0 && y >= 0) return y * 10000 + m * 100 + d;
    }
  }
  const iso = ISO_DATE.exec(s);
  if (iso) return Number(iso[1]) * 10000 + Number(iso[2]) * 100 + Number(iso[3]);
  const fr = FRENCH_DATE.exec(s);
  if (fr) return Number(fr[3]) * 10000 + Number(fr[2]) * 100 + Number(fr[1]);
  const compact = COMPACT_DATE.exec(s);
  if (compact) return Number(compact[1]) * 10000 + Number(compact[2]) * 100 + Number(compact[3]);
  return -1;
}

/**
 * Birth date in the usual formats: `1984-05-17`, `17/05/1984`, `17-05-1984`, `17.05.1984`, `19840517`.
 * Must be a real calendar date, not in the future, not before 1880. Returns ISO `YYYY-MM-DD`.
 */
export function parseBirthDate(
  input: string,
  todayIso: string = new Date().toISOString().slice(0, 10),
): RuleResult<string> {
  const s = trimmed(input);
  if (s === "") return bad("date de naissance absente");
  const date = splitDate(s);
  if (date < 0)
    return bad(`date de naissance illisible « ${s} » (formats acceptés : JJ/MM/AAAA, AAAA-MM-JJ)`);
  const y = Math.floor(date / 10000);
  const mo = Math.floor(date / 100) % 100;
  const d = date % 100;
  if (!isRealDate(y, mo, d)) return bad(`date de naissance impossible « ${s} »`);
  if (y < 1880) return bad(`date de naissance trop ancienne « ${s} »`);
  // From 1880 on the year has four digits: an ISO input with two-digit month and day is its own ISO form.
  const isoInput = s.length === 10 && s.charCodeAt(4) === 45 && s.charCodeAt(7) === 45;
  const iso = isoInput ? s : `${y}-${TWO_DIGITS[mo]}-${TWO_DIGITS[d]}`;
  if (iso > todayIso) return bad(`date de naissance dans le futur « ${s} »`);
  return ok(iso);
}

/**
 * NIR/birth-date consistency: characters 2–3 are the year of birth, 4–5 the month (20–42 and 50+ are
 * special values that carry no month). A mismatch is a warning: the registry is the authority.
 */
export function nirBirthMismatch(nir: string, isoBirthDate: string): string | null {
  // Usual case, by char codes: same year digits, and the NIR's month is special or the date's month.
  if (
    nir.charCodeAt(1) === isoBirthDate.charCodeAt(2) &&
    nir.charCodeAt(2) === isoBirthDate.charCodeAt(3) &&
    nir.length >= 5 &&
    isoBirthDate.length >= 7
  ) {
    const nirMonth = digitsValue(nir, 3, 5);
    const month = digitsValue(isoBirthDate, 5, 7);
    if (nirMonth >= 0 && month >= 0 && !(nirMonth >= 1 && nirMonth <= 12 && nirMonth !== month)) return null;
  }
  return generalRules.nirBirthMismatch(nir, isoBirthDate);
}

const OVERSEAS = new Set(["971", "972", "973", "974", "975", "976", "977", "978"]);

/** Department codes: 01–95 (no 20), 2A/2B, overseas 971–978. `1` → `01`, `2a` → `2A`. */
export function parseDepartment(input: string): RuleResult<string> {
  // Written as stored (two digits, 2A/2B, or three digits): the value is the input itself.
  if (input.length === 2) {
    const n = digitsValue(input, 0, 2);
    if (n >= 1 && n <= 95 && n !== 20) return ok(input);
    if (input.charCodeAt(0) === 50 && (input.charCodeAt(1) === 65 || input.charCodeAt(1) === 66))
      return ok(input);
  } else if (input.length === 3) {
    const n = digitsValue(input, 0, 3);
    if (n >= 971 && n <= 978) return ok(input);
  }
  return generalRules.parseDepartment(input);
}

/** Five digits; a 4-digit code whose leading zero a spreadsheet dropped (`1000`) is restored. */
export function parsePostalCode(input: string): RuleResult<string> {
  if (input.length === 5 && digitsValue(input, 0, 5) >= 1000) return ok(input);
  return generalRules.parsePostalCode(input);
}

/** "970" to "989", the three-digit departments a postal code can start with. */
const OVERSEAS_DEPARTMENTS = Array.from({ length: 20 }, (_, i) => String(970 + i));

/** The department a postal code belongs to (Corsica: 200xx–201xx → 2A, 202xx–206xx → 2B). */
export function departmentOfPostalCode(code: string): string {
  const head = code.length >= 3 ? digitsValue(code, 0, 3) : -1;
  if (head < 0) return generalRules.departmentOfPostalCode(code);
  // Shared strings rather than a slice per row.
  if (head >= 970 && head < 990) return OVERSEAS_DEPARTMENTS[head - 970];
  if (head >= 200 && head < 210) return head <= 201 ? "2A" : "2B";
  return TWO_DIGITS[Math.floor(head / 10)];
}

const EMAIL =
  /^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$/;

/** The characters of EMAIL's local part, by ASCII code. */
const EMAIL_LOCAL = Array.from({ length: 128 }, (_, c) =>
  /[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]/.test(String.fromCharCode(c)),
);
const isLowerAlnum = (c: number) => (c >= 97 && c <= 122) || (c >= 48 && c <= 57);

/**
 * EMAIL, no `..` and at most 254 characters, checked in one scan, for an address whose domain is already
 * lower case (then it is its own normal form). False sends it to the general rule, which decides.
 */
function isTidyEmail(s: string): boolean {
  const n = s.length;
  if (n > 254) return false;
  let i = 0;
  for (; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c === 64) break;
    if (c >= 128 || !EMAIL_LOCAL[c] || (c === 46 && i > 0 && s.charCodeAt(i - 1) === 46)) return false;
  }
  if (i === 0 || i === n) return false;
  // Domain: two labels or more, each of 1 to 63 letters, digits or dashes, neither starting nor ending with a dash.
  let labels = 0;
  i++;
  for (;;) {
    const start = i;
    while (i < n && (isLowerAlnum(s.charCodeAt(i)) || s.charCodeAt(i) === 45)) i++;
    if (i === start || i - start > 63 || s.charCodeAt(start) === 45 || s.charCodeAt(i - 1) === 45)
      return false;
    labels++;
    if (i === n) return labels >= 2;
    if (s.charCodeAt(i) !== 46) return false;
    i++;
  }
}

/** Empty → null; otherwise a plausible address (local@domain.tld), lower-cased domain. */
export function parseEmail(input: string): RuleResult<string | null> {
  const s = trimmed(input);
  if (s === "") return ok(null);
  if (isTidyEmail(s)) return ok(s);
  return generalRules.parseEmail(input);
}

/** National prefixes of the overseas departments and their E.164 country codes. */
const OVERSEAS_PHONE: Array<[string, string]> = [
  ["0262", "262"],
  ["0263", "262"],
  ["0692", "262"],
  ["0693", "262"],
  ["0639", "262"],
  ["0269", "262"],
  ["0590", "590"],
  ["0690", "590"],
  ["0691", "590"],
  ["0594", "594"],
  ["0694", "594"],
  ["0596", "596"],
  ["0696", "596"],
  ["0697", "596"],
  ["0508", "508"],
];
const OVERSEAS_CODES = new Set(["262", "590", "594", "596", "508"]);
/** OVERSEAS_PHONE by the number its prefix's last three digits make (0692 → 692). */
const OVERSEAS_PHONE_BY_NUMBER = new Map(OVERSEAS_PHONE.map(([prefix, cc]) => [Number(prefix), cc]));

/** The digits of the phone number being read (a valid one has at most 15). */
const phoneDigits = new Uint8Array(16);

/** The number the 9 digits of `phoneDigits` from `start` make. */
function nineDigits(start: number): number {
  let n = 0;
  for (let i = start; i < start + 9; i++) n = n * 10 + phoneDigits[i];
  return n;
}

/**
 * E.164 for the usual valid shapes (digits, the usual separators, a leading `+` or `00`), read by char codes;
 * null for anything else, which the general rule reads. The national number's 9 digits after its 0 start
 * with 1–9, so the number they make prints them all.
 */
function usualPhone(raw: string): string | null {
  let n = 0;
  let plus = false;
  for (let i = 0; i < raw.length; i++) {
    const c = raw.charCodeAt(i);
    if (c >= 48 && c <= 57) {
      if (n === phoneDigits.length) return null;
      phoneDigits[n++] = c - 48;
    } else if (c === 43 && n === 0 && !plus) plus = true;
    else if (c !== 32 && c !== 46 && c !== 45 && c !== 40 && c !== 41 && c !== 47) return null;
  }
  let start = 0;
  if (!plus && n >= 2 && phoneDigits[0] === 0 && phoneDigits[1] === 0) {
    plus = true;
    start = 2;
  }
  let national: number; // where the 9 digits after the national 0 start
  if (!plus) {
    if (n !== 10 || phoneDigits[0] !== 0) return null;
    national = 1;
  } else if (n - start >= 2 && phoneDigits[start] === 3 && phoneDigits[start + 1] === 3) {
    national = start + 2;
    if (national < n && phoneDigits[national] === 0) national++;
    if (n - national !== 9) return null;
  } else {
    const cc = String(phoneDigits[start] * 100 + phoneDigits[start + 1] * 10 + phoneDigits[start + 2]);
    if (n - start !== 12 || !OVERSEAS_CODES.has(cc)) return null;
    return `+${cc}${String(nineDigits(start + 3)).padStart(9, "0")}`;
  }
  if (phoneDigits[national] === 0) return null;
  const prefix = phoneDigits[national] * 100 + phoneDigits[national + 1] * 10 + phoneDigits[national + 2];
  return `+${OVERSEAS_PHONE_BY_NUMBER.get(prefix) ?? "33"}${nineDigits(national)}`;
}

/**
 * French phone numbers to E.164: `06 12 34 56 78`, `06.12.34.56.78`, `+33 6 12 34 56 78`, `0033612345678`
 * → `+33612345678`; overseas numbers get their own country code (`0692 12 34 56` → `+262692123456`).
 * Empty → null.
 */
export function parsePhone(input: string): RuleResult<string | null> {
  const raw = trimmed(input);
  if (raw === "") return ok(null);
  const usual = usualPhone(raw);
  return usual === null ? generalRules.parsePhone(input) : ok(usual);
}

/** Control characters (NUL above all) have no place in a name or an address, and NUL cannot be stored. */
const isControl = (c: number) => c <= 8 || c === 11 || c === 12 || (c >= 14 && c <= 31) || c === 127;

/** Returned by `scanTidy` for a value with a tab, newline, carriage return or two white spaces in a row. */
const UNTIDY = -2;

/**
 * One pass over a trimmed name or address: UNTIDY when its white space needs collapsing, otherwise the
 * position of its first control character, or -1.
 */
function scanTidy(s: string): number {
  let previousSpace = false;
  let control = -1;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 9 || c === 10 || c === 13) return UNTIDY;
    const space = isJsSpace(c);
    if (space && previousSpace) return UNTIDY;
    previousSpace = space;
    if (control < 0 && isControl(c)) control = i;
  }
  return control;
}

function firstControl(s: string): number {
  for (let i = 0; i < s.length; i++) if (isControl(s.charCodeAt(i))) return i;
  return -1;
}

function controlProblem(s: string, at: number, label: string): string {
  const code = s.charCodeAt(at).toString(16).toUpperCase().padStart(4, "0");
  return `${label} : caractère de contrôle U+${code} en position ${at + 1}`;
}

/** The adjectives of a label's messages: masculine for a name (`nom`), feminine for an address (`adresse`). */
const WORDS = {
  m: { absent: "absent", tooLong: "trop long" },
  f: { absent: "absente", tooLong: "trop longue" },
};

/** Trimmed, inner white space collapsed to one space, no control character, required, at most `max` characters. */
function tidyText(input: string, label: string, max: number, words: (typeof WORDS)["m"]): RuleResult<string> {
  const trimmedInput = trimmed(input);
  const scan = scanTidy(trimmedInput);
  const s = scan === UNTIDY ? trimmedInput.replace(/\s+/g, " ") : trimmedInput;
  if (s === "") return bad(`${label} ${words.absent}`);
  const control = scan === UNTIDY ? firstControl(s) : scan;
  if (control >= 0) return bad(controlProblem(s, control, label));
  if (s.length > max) return bad(`${label} ${words.tooLong} (${s.length} caractères, ${max} au plus)`);
  return ok(s);
}

/** Names: trimmed, inner spaces collapsed, required, at most 100 characters. */
export function parseName(input: string, label: string): RuleResult<string> {
  return tidyText(input, label, 100, WORDS.m);
}

export function parseText(input: string, label: string, max: number): RuleResult<string> {
  return tidyText(input, label, max, WORDS.f);
}

const PHONE_NOISE = /[\s.\-()/]/g;

/** The general rules, for any input: the fast paths above return what these return. */
export const generalRules = {
  nirBirthMismatch(nir: string, isoBirthDate: string): string | null {
    const nirYear = nir.slice(1, 3);
    const nirMonth = Number(nir.slice(3, 5));
    const year = isoBirthDate.slice(2, 4);
    const month = Number(isoBirthDate.slice(5, 7));
    if (nirYear !== year)
      return `année de naissance du NIR (${nirYear}) différente de la date de naissance (${isoBirthDate.slice(0, 4)})`;
    if (nirMonth >= 1 && nirMonth <= 12 && nirMonth !== month)
      return `mois de naissance du NIR (${nir.slice(3, 5)}) différent de la date de naissance (${isoBirthDate.slice(5, 7)})`;
    return null;
  },

  parseDepartment(input: string): RuleResult<string> {
    const s = input.trim().toUpperCase();
    if (s === "") return bad("département absent");
    if (s === "2A" || s === "2B") return ok(s);
    if (/^\d{3}$/.test(s)) return OVERSEAS.has(s) ? ok(s) : bad(`département inconnu « ${input.trim()} »`);
    if (/^\d{1,2}$/.test(s)) {
      const n = Number(s);
      if (n >= 1 && n <= 95 && n !== 20) return ok(String(n).padStart(2, "0"));
    }
    return bad(`département inconnu « ${input.trim()} »`);
  },

  parsePostalCode(input: string): RuleResult<string> {
    const s = input.trim().replace(/\s/g, "");
    if (s === "") return bad("code postal absent");
    const code = /^\d{4}$/.test(s) ? `0${s}` : s;
    if (!/^\d{5}$/.test(code) || code.startsWith("00"))
      return bad(`code postal invalide « ${input.trim()} »`);
    return ok(code);
  },

  /** The one rule (persons/department.ts); the fast path above is held equal to it by the tests. */
  departmentOfPostalCode: departmentOfGeneralRule,

  parseEmail(input: string): RuleResult<string | null> {
    const s = input.trim();
    if (s === "") return ok(null);
    if (s.length > 254 || !EMAIL.test(s) || s.includes(".."))
      return bad(`adresse électronique invalide « ${s} »`);
    const at = s.lastIndexOf("@");
    return ok(`${s.slice(0, at)}@${s.slice(at + 1).toLowerCase()}`);
  },

  parsePhone(input: string): RuleResult<string | null> {
    const raw = input.trim();
    if (raw === "") return ok(null);
    let s = raw.replace(PHONE_NOISE, "");
    if (s.startsWith("00")) s = `+${s.slice(2)}`;
    if (s.startsWith("+33")) {
      s = s.slice(3);
      if (s.startsWith("0")) s = s.slice(1);
      s = `0${s}`;
    } else if (s.startsWith("+")) {
      const cc = s.slice(1, 4);
      if (OVERSEAS_CODES.has(cc) && /^\d{9}$/.test(s.slice(4))) return ok(s);
      return bad(`numéro de téléphone invalide « ${raw} » (numéro français attendu)`);
    }
    if (!/^0[1-9]\d{8}$/.test(s)) return bad(`numéro de téléphone invalide « ${raw} »`);
    const prefix = s.slice(0, 4);
    for (const [p, cc] of OVERSEAS_PHONE) if (p === prefix) return ok(`+${cc}${s.slice(1)}`);
    return ok(`+33${s.slice(1)}`);
  },
};
