import { excelNumberMessage, isExcelScientific } from "../files/excel-values";

/**
 * NIR (numéro d'inscription au répertoire): 13 characters then a 2-digit key, key = 97 − (N mod 97) where N
 * is the 13-digit number, with Corsica's department 2A counted as 19 and 2B as 18 (DESIGN §6).
 */
export type NirProblem =
  | { kind: "length"; length: number }
  | { kind: "characters" }
  | { kind: "sex" }
  | { kind: "month"; month: string }
  | { kind: "key"; expected: string; found: string }
  | { kind: "excel_number"; shown: string };

export type NirCheck = { ok: true; nir: string } | { ok: false; problem: NirProblem };

/** Strips spaces, dots and dashes and upper-cases (2a → 2A). */
export function normaliseNir(input: string): string {
  return input.replace(/[\s.-]/g, "").toUpperCase();
}

/** The digit at `i`, or -1. */
function digitAt(s: string, i: number): number {
  const d = s.charCodeAt(i) - 48;
  return d >= 0 && d <= 9 ? d : -1;
}

/**
 * 97 − (N mod 97) for the first 13 characters of `s`, or -1 when they are not a NIR body (digits, 2A/2B at
 * 5–6). N, Corsica's 2A/2B counted as 19/18, is read in one pass by char codes in two parts that stay small
 * integers: N = high × 10^6 + low, and 10^6 ≡ 27 (mod 97). No substring, no number parsing, no BigInt: a roll
 * checks millions of NIRs.
 */
function bodyKey(s: string): number {
  let high = 0;
  for (let i = 0; i < 5; i++) {
    const d = digitAt(s, i);
    if (d < 0) return -1;
    high = high * 10 + d;
  }
  const department = departmentNumber(s);
  if (department < 0) return -1;
  high = high * 100 + department;
  let low = 0;
  for (let i = 7; i < 13; i++) {
    const d = digitAt(s, i);
    if (d < 0) return -1;
    low = low * 10 + d;
  }
  return 97 - (((high % 97) * 27 + low) % 97);
}

/** Characters 5–6 as the key counts them: 2A → 19, 2B → 18, two digits → their number; -1 otherwise. */
function departmentNumber(s: string): number {
  if (s.charCodeAt(5) === 50) {
    if (s.charCodeAt(6) === 65) return 19;
    if (s.charCodeAt(6) === 66) return 18;
  }
  const tens = digitAt(s, 5);
  const units = digitAt(s, 6);
  return tens < 0 || units < 0 ? -1 : tens * 10 + units;
}

const twoDigits = (n: number): string => (n < 10 ? `0${n}` : String(n));

export function nirKey(body13: string): string | null {
  const key = body13.length === 13 ? bodyKey(body13) : -1;
  return key < 0 ? null : twoDigits(key);
}

/** The key a well-formed NIR (15 characters, `/^\d{5}(\d{2}|2A|2B)\d{8}$/`) should have, or -1. */
function wellFormedKey(nir: string): number {
  if (nir.length !== 15 || digitAt(nir, 13) < 0 || digitAt(nir, 14) < 0) return -1;
  return bodyKey(nir);
}

export function checkNir(input: string): NirCheck {
  // Rolls write NIRs clean: a well-formed input is read as it is (normalising would return it unchanged).
  let nir = input;
  let expected = wellFormedKey(input);
  if (expected < 0) {
    nir = normaliseNir(input);
    if (nir.length !== 15) {
      if (isExcelScientific(input))
        return { ok: false, problem: { kind: "excel_number", shown: input.trim() } };
      return { ok: false, problem: { kind: "length", length: nir.length } };
    }
    expected = wellFormedKey(nir);
    if (expected < 0) return { ok: false, problem: { kind: "characters" } };
  }
  const sex = nir.charCodeAt(0) - 48;
  if (sex !== 1 && sex !== 2 && sex !== 3 && sex !== 4 && sex !== 7 && sex !== 8)
    return { ok: false, problem: { kind: "sex" } };
  const month = digitAt(nir, 3) * 10 + digitAt(nir, 4);
  const monthOk = (month >= 1 && month <= 12) || (month >= 20 && month <= 42) || month >= 50;
  if (!monthOk) return { ok: false, problem: { kind: "month", month: nir.slice(3, 5) } };
  if (expected !== digitAt(nir, 13) * 10 + digitAt(nir, 14))
    return { ok: false, problem: { kind: "key", expected: twoDigits(expected), found: nir.slice(13) } };
  return { ok: true, nir };
}

export function describeNirProblem(problem: NirProblem): string {
  switch (problem.kind) {
    case "length":
      return `NIR de ${problem.length} caractères (15 attendus)`;
    case "characters":
      return "NIR mal formé (chiffres attendus, 2A/2B pour la Corse)";
    case "sex":
      return "NIR invalide : le premier chiffre doit être 1, 2, 3, 4, 7 ou 8";
    case "month":
      return `NIR invalide : mois de naissance ${problem.month} impossible`;
    case "key":
      return `clé NIR invalide (attendue ${problem.expected}, lue ${problem.found})`;
    case "excel_number":
      return excelNumberMessage(problem.shown, "un NIR attendu");
  }
}

/** `1 84 05 ** *** *** 32`: sex, year and month stay readable; place of birth and order are hidden. */
export function maskNir(nir: string): string {
  const n = normaliseNir(nir);
  if (n.length !== 15) return "***************";
  return `${n[0]} ${n.slice(1, 3)} ${n.slice(3, 5)} ** *** *** ${n.slice(13)}`;
}

/** `1 84 05 75 123 456 32` */
export function formatNir(nir: string): string {
  const n = normaliseNir(nir);
  if (n.length !== 15) return n;
  return `${n[0]} ${n.slice(1, 3)} ${n.slice(3, 5)} ${n.slice(5, 7)} ${n.slice(7, 10)} ${n.slice(10, 13)} ${n.slice(13)}`;
}

/** Builds a valid NIR from its parts (tests, synthetic rolls). `department` is 2 chars (2A/2B allowed). */
export function buildNir(parts: {
  sex: 1 | 2;
  year: number;
  month: number;
  department: string;
  commune: number;
  order: number;
}): string {
  const body = `${parts.sex}${String(parts.year % 100).padStart(2, "0")}${String(parts.month).padStart(2, "0")}${parts.department.padStart(2, "0")}${String(parts.commune).padStart(3, "0")}${String(parts.order).padStart(3, "0")}`;
  return body + (nirKey(body) as string);
}
