/**
 * NIR (numéro d'inscription au répertoire): 13 characters then a 2-digit key, key = 97 − (N mod 97) where N
 * is the 13-digit number, with Corsica's department 2A counted as 19 and 2B as 18 (DESIGN §6).
 */
export type NirProblem =
  | { kind: "length"; length: number }
  | { kind: "characters" }
  | { kind: "sex" }
  | { kind: "month"; month: string }
  | { kind: "key"; expected: string; found: string };

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

/** The digit at `i` of a NIR, Corsica's 2A/2B (at 5–6) read as 19/18 as the key wants; -1 for anything else. */
function nirDigit(s: string, i: number): number {
  if (i === 5 || i === 6) {
    const corsica = s.charCodeAt(5) === 50 ? s.charCodeAt(6) : 0;
    if (corsica === 65) return i === 5 ? 1 : 9;
    if (corsica === 66) return i === 5 ? 1 : 8;
  }
  return digitAt(s, i);
}

/**
 * 97 − (N mod 97) for the first 13 characters of `s`, or -1 when they are not a NIR body. N mod 97 is
 * accumulated digit by digit: no substring, no number parsing, no BigInt (a roll checks millions of NIRs).
 */
function keyOfBody(s: string): number {
  let rest = 0;
  for (let i = 0; i < 13; i++) {
    const d = nirDigit(s, i);
    if (d < 0) return -1;
    rest = (rest * 10 + d) % 97;
  }
  return 97 - rest;
}

const twoDigits = (n: number): string => (n < 10 ? `0${n}` : String(n));

export function nirKey(body13: string): string | null {
  if (body13.length !== 13) return null;
  const key = keyOfBody(body13);
  return key < 0 ? null : twoDigits(key);
}

/** 15 characters, digits and A/B only: how rolls write NIRs, checked as they are, with no normalising. */
function isCleanNir(s: string): boolean {
  if (s.length !== 15) return false;
  for (let i = 0; i < 15; i++) {
    const c = s.charCodeAt(i);
    if ((c < 48 || c > 57) && c !== 65 && c !== 66) return false;
  }
  return true;
}

/** Digits everywhere except 5–6, which may be 2A/2B: `/^\d{5}(\d{2}|2A|2B)\d{8}$/` on 15 characters. */
function wellFormed(nir: string): boolean {
  for (let i = 0; i < 15; i++) if (nirDigit(nir, i) < 0) return false;
  return true;
}

export function checkNir(input: string): NirCheck {
  // Rolls write NIRs clean: skip the normalising replace for them (it would return them unchanged).
  const nir = isCleanNir(input) ? input : normaliseNir(input);
  if (nir.length !== 15) return { ok: false, problem: { kind: "length", length: nir.length } };
  if (!wellFormed(nir)) return { ok: false, problem: { kind: "characters" } };
  const sex = nir.charCodeAt(0) - 48;
  if (sex !== 1 && sex !== 2 && sex !== 3 && sex !== 4 && sex !== 7 && sex !== 8)
    return { ok: false, problem: { kind: "sex" } };
  const month = digitAt(nir, 3) * 10 + digitAt(nir, 4);
  const monthOk = (month >= 1 && month <= 12) || (month >= 20 && month <= 42) || month >= 50;
  if (!monthOk) return { ok: false, problem: { kind: "month", month: nir.slice(3, 5) } };
  const expected = keyOfBody(nir);
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
