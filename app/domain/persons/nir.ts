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

/**
 * The 13 characters as a number for the key, Corsica rule applied. 13 digits stay below 2^53, so a plain
 * number is exact (and several times cheaper than BigInt on a roll of millions of rows).
 */
function numericBody(body13: string): number | null {
  let body = body13;
  if (body.slice(5, 7) === "2A") body = `${body.slice(0, 5)}19${body.slice(7)}`;
  else if (body.slice(5, 7) === "2B") body = `${body.slice(0, 5)}18${body.slice(7)}`;
  if (!/^\d{13}$/.test(body)) return null;
  return Number(body);
}

export function nirKey(body13: string): string | null {
  const n = numericBody(body13);
  if (n === null) return null;
  return String(97 - (n % 97)).padStart(2, "0");
}

const CLEAN_NIR = /^[0-9AB]{15}$/;

export function checkNir(input: string): NirCheck {
  // Rolls write NIRs clean: skip the normalising replace for them.
  const nir = CLEAN_NIR.test(input) ? input : normaliseNir(input);
  if (nir.length !== 15) return { ok: false, problem: { kind: "length", length: nir.length } };
  if (!/^\d{5}(\d{2}|2A|2B)\d{8}$/.test(nir)) return { ok: false, problem: { kind: "characters" } };
  if (!"123478".includes(nir[0])) return { ok: false, problem: { kind: "sex" } };
  const month = Number(nir.slice(3, 5));
  const monthOk = (month >= 1 && month <= 12) || (month >= 20 && month <= 42) || month >= 50;
  if (!monthOk) return { ok: false, problem: { kind: "month", month: nir.slice(3, 5) } };
  const expected = nirKey(nir.slice(0, 13));
  const found = nir.slice(13);
  if (expected !== found) return { ok: false, problem: { kind: "key", expected: expected ?? "??", found } };
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
