/**
 * Row validation rules of a roll, without I/O. Each returns the normalised value or a problem whose message
 * is French and names the value; the caller adds the line number.
 */
export type RuleResult<T> = { ok: true; value: T } | { ok: false; message: string };

const ok = <T>(value: T): RuleResult<T> => ({ ok: true, value });
const bad = <T>(message: string): RuleResult<T> => ({ ok: false, message });

function isRealDate(year: number, month: number, day: number): boolean {
  if (month < 1 || month > 12 || day < 1) return false;
  const days = [
    31,
    year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : 28,
    31,
    30,
    31,
    30,
    31,
    31,
    30,
    31,
    30,
    31,
  ];
  return day <= days[month - 1];
}

const ISO_DATE = /^(\d{4})-(\d{1,2})-(\d{1,2})$/;
const FRENCH_DATE = /^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})$/;
const COMPACT_DATE = /^(\d{4})(\d{2})(\d{2})$/;

const digit = (s: string, i: number) => s.charCodeAt(i) - 48;
const isDigitAt = (s: string, i: number) => {
  const c = s.charCodeAt(i);
  return c >= 48 && c <= 57;
};
function digitsAt(s: string, positions: number[]): boolean {
  for (const i of positions) if (!isDigitAt(s, i)) return false;
  return true;
}

/** [year, month, day] of the accepted layouts, or null. */
function splitDate(s: string): [number, number, number] | null {
  // The two layouts of nearly every roll, read without a regular expression (millions of rows).
  if (s.length === 10) {
    const sep = s.charCodeAt(2);
    if (
      (sep === 47 || sep === 46 || sep === 45) &&
      s.charCodeAt(5) === sep &&
      digitsAt(s, [0, 1, 3, 4, 6, 7, 8, 9])
    )
      return [
        digit(s, 6) * 1000 + digit(s, 7) * 100 + digit(s, 8) * 10 + digit(s, 9),
        digit(s, 3) * 10 + digit(s, 4),
        digit(s, 0) * 10 + digit(s, 1),
      ];
    if (s.charCodeAt(4) === 45 && s.charCodeAt(7) === 45 && digitsAt(s, [0, 1, 2, 3, 5, 6, 8, 9]))
      return [
        digit(s, 0) * 1000 + digit(s, 1) * 100 + digit(s, 2) * 10 + digit(s, 3),
        digit(s, 5) * 10 + digit(s, 6),
        digit(s, 8) * 10 + digit(s, 9),
      ];
  }
  const iso = ISO_DATE.exec(s);
  if (iso) return [Number(iso[1]), Number(iso[2]), Number(iso[3])];
  const fr = FRENCH_DATE.exec(s);
  if (fr) return [Number(fr[3]), Number(fr[2]), Number(fr[1])];
  const compact = COMPACT_DATE.exec(s);
  if (compact) return [Number(compact[1]), Number(compact[2]), Number(compact[3])];
  return null;
}

/**
 * Birth date in the usual formats: `1984-05-17`, `17/05/1984`, `17-05-1984`, `17.05.1984`, `19840517`.
 * Must be a real calendar date, not in the future, not before 1880. Returns ISO `YYYY-MM-DD`.
 */
export function parseBirthDate(
  input: string,
  todayIso: string = new Date().toISOString().slice(0, 10),
): RuleResult<string> {
  const s = input.trim();
  if (s === "") return bad("date de naissance absente");
  const parts = splitDate(s);
  if (!parts) return bad(`date de naissance illisible « ${s} » (formats acceptés : JJ/MM/AAAA, AAAA-MM-JJ)`);
  const [y, mo, d] = parts;
  if (!isRealDate(y, mo, d)) return bad(`date de naissance impossible « ${s} »`);
  const iso = `${y}-${String(mo).padStart(2, "0")}-${String(d).padStart(2, "0")}`;
  if (y < 1880) return bad(`date de naissance trop ancienne « ${s} »`);
  if (iso > todayIso) return bad(`date de naissance dans le futur « ${s} »`);
  return ok(iso);
}

/**
 * NIR/birth-date consistency: characters 2–3 are the year of birth, 4–5 the month (20–42 and 50+ are
 * special values that carry no month). A mismatch is a warning: the registry is the authority.
 */
export function nirBirthMismatch(nir: string, isoBirthDate: string): string | null {
  const nirYear = nir.slice(1, 3);
  const nirMonth = Number(nir.slice(3, 5));
  const year = isoBirthDate.slice(2, 4);
  const month = Number(isoBirthDate.slice(5, 7));
  if (nirYear !== year)
    return `année de naissance du NIR (${nirYear}) différente de la date de naissance (${isoBirthDate.slice(0, 4)})`;
  if (nirMonth >= 1 && nirMonth <= 12 && nirMonth !== month)
    return `mois de naissance du NIR (${nir.slice(3, 5)}) différent de la date de naissance (${isoBirthDate.slice(5, 7)})`;
  return null;
}

const OVERSEAS = new Set(["971", "972", "973", "974", "975", "976", "977", "978"]);

/** Department codes: 01–95 (no 20), 2A/2B, overseas 971–978. `1` → `01`, `2a` → `2A`. */
export function parseDepartment(input: string): RuleResult<string> {
  const s = input.trim().toUpperCase();
  if (s === "") return bad("département absent");
  if (s === "2A" || s === "2B") return ok(s);
  if (/^\d{3}$/.test(s)) return OVERSEAS.has(s) ? ok(s) : bad(`département inconnu « ${input.trim()} »`);
  if (/^\d{1,2}$/.test(s)) {
    const n = Number(s);
    if (n >= 1 && n <= 95 && n !== 20) return ok(String(n).padStart(2, "0"));
  }
  return bad(`département inconnu « ${input.trim()} »`);
}

/** Five digits; a 4-digit code whose leading zero a spreadsheet dropped (`1000`) is restored. */
export function parsePostalCode(input: string): RuleResult<string> {
  const s = input.trim().replace(/\s/g, "");
  if (s === "") return bad("code postal absent");
  const code = /^\d{4}$/.test(s) ? `0${s}` : s;
  if (!/^\d{5}$/.test(code) || code.startsWith("00")) return bad(`code postal invalide « ${input.trim()} »`);
  return ok(code);
}

/** The department a postal code belongs to (Corsica: 200xx–201xx → 2A, 202xx–206xx → 2B). */
export function departmentOfPostalCode(code: string): string {
  if (code.startsWith("97") || code.startsWith("98")) return code.slice(0, 3);
  if (code.startsWith("20")) return Number(code.slice(2, 3)) <= 1 ? "2A" : "2B";
  return code.slice(0, 2);
}

const EMAIL =
  /^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$/;

/** Empty → null; otherwise a plausible address (local@domain.tld), lower-cased domain. */
export function parseEmail(input: string): RuleResult<string | null> {
  const s = input.trim();
  if (s === "") return ok(null);
  if (s.length > 254 || !EMAIL.test(s) || s.includes(".."))
    return bad(`adresse électronique invalide « ${s} »`);
  const at = s.lastIndexOf("@");
  return ok(`${s.slice(0, at)}@${s.slice(at + 1).toLowerCase()}`);
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

/**
 * French phone numbers to E.164: `06 12 34 56 78`, `06.12.34.56.78`, `+33 6 12 34 56 78`, `0033612345678`
 * → `+33612345678`; overseas numbers get their own country code (`0692 12 34 56` → `+262692123456`).
 * Empty → null.
 */
const PHONE_NOISE = /[\s.\-()/]/g;
/** Digits and the usual separators only (space, dot, dash, parentheses, slash): the common case. */
function compactDigits(raw: string): string | null {
  let out = "";
  for (let i = 0; i < raw.length; i++) {
    const c = raw.charCodeAt(i);
    if (c >= 48 && c <= 57) out += raw[i];
    else if (c !== 32 && c !== 46 && c !== 45 && c !== 40 && c !== 41 && c !== 47) return null;
  }
  return out;
}

export function parsePhone(input: string): RuleResult<string | null> {
  const raw = input.trim();
  if (raw === "") return ok(null);
  let s = compactDigits(raw) ?? raw.replace(PHONE_NOISE, "");
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
}

/** Names: trimmed, inner spaces collapsed, required, at most 100 characters. */
const MESSY_SPACES = /\s\s|[\t\n\r]/;
const ANY_SPACE = /\s/;
/** No tab, newline or carriage return, and no two spaces in a row (checked without a regular expression). */
function tidyAlready(s: string): boolean {
  let previousSpace = false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 9 || c === 10 || c === 13) return false;
    const space = c === 32 || c === 11 || c === 12 || (c > 127 && ANY_SPACE.test(s[i]));
    if (space && previousSpace) return false;
    previousSpace = space;
  }
  return true;
}
function tidy(input: string): string {
  const s = input.trim();
  return tidyAlready(s) || !MESSY_SPACES.test(s) ? s : s.replace(/\s+/g, " ");
}

/** Control characters (NUL above all) have no place in a name or an address, and NUL cannot be stored. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point.
const CONTROL = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]/;
function controlProblem(s: string, label: string): string | null {
  const m = CONTROL.exec(s);
  if (!m) return null;
  const code = m[0].charCodeAt(0).toString(16).toUpperCase().padStart(4, "0");
  return `${label} : caractère de contrôle U+${code} en position ${m.index + 1}`;
}

export function parseName(input: string, label: string): RuleResult<string> {
  const s = tidy(input);
  if (s === "") return bad(`${label} absent`);
  const control = controlProblem(s, label);
  if (control) return bad(control);
  if (s.length > 100) return bad(`${label} trop long (${s.length} caractères, 100 au plus)`);
  return ok(s);
}

export function parseText(input: string, label: string, max: number): RuleResult<string> {
  const s = tidy(input);
  if (s === "") return bad(`${label} absente`);
  const control = controlProblem(s, label);
  if (control) return bad(control);
  if (s.length > max) return bad(`${label} trop longue (${s.length} caractères, ${max} au plus)`);
  return ok(s);
}
