import { parisDate } from "../lifecycle/paris-time";
import { checkNir, describeNirProblem } from "../persons/nir";

/** The channels a person may choose on the portal: the mobile or the email address on file. */
export type PortalResetChannel = "sms" | "email";
export const PORTAL_RESET_CHANNELS: readonly PortalResetChannel[] = ["sms", "email"];

export interface CodeResetRequest {
  nir: string;
  /** YYYY-MM-DD, a real calendar day. */
  birthDate: string;
  channel: PortalResetChannel;
}

export type CodeResetField = "nir" | "birth_date" | "channel";

export type CodeResetParse =
  | { ok: true; request: CodeResetRequest }
  | { ok: false; field: CodeResetField; reason: string };

const ISO_DAY = /^(\d{4})-(\d{2})-(\d{2})$/;

/** A birth date the portal may send: a real day of the Gregorian calendar, from 1890 to today (Paris time). */
export function checkBirthDate(
  input: unknown,
  today = new Date(),
): { ok: true } | { ok: false; reason: string } {
  const bad = "date de naissance attendue au format AAAA-MM-JJ";
  if (typeof input !== "string") return { ok: false, reason: bad };
  const m = ISO_DAY.exec(input);
  if (!m) return { ok: false, reason: bad };
  const [year, month, day] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const date = new Date(Date.UTC(year, month - 1, day));
  if (date.getUTCFullYear() !== year || date.getUTCMonth() !== month - 1 || date.getUTCDate() !== day) {
    return { ok: false, reason: `date de naissance impossible : ${input} n'existe pas` };
  }
  if (year < 1890 || input > parisDate(today)) {
    return { ok: false, reason: `date de naissance impossible : ${input}` };
  }
  return { ok: true };
}

/**
 * Reads the body of `POST /api/portal/code-reset`: `{ nir, birth_date, channel }`. The first bad field is
 * named in a French reason; nothing here depends on who is insured.
 */
export function parseCodeResetRequest(body: unknown, today = new Date()): CodeResetParse {
  const b = typeof body === "object" && body !== null ? (body as Record<string, unknown>) : {};
  if (typeof b.nir !== "string" || b.nir.trim() === "") {
    return {
      ok: false,
      field: "nir",
      reason: "nir : numéro de sécurité sociale requis (chaîne de 15 caractères)",
    };
  }
  const nir = checkNir(b.nir);
  if (!nir.ok) return { ok: false, field: "nir", reason: `nir : ${describeNirProblem(nir.problem)}` };
  const birth = checkBirthDate(b.birth_date, today);
  if (!birth.ok) return { ok: false, field: "birth_date", reason: `birth_date : ${birth.reason}` };
  if (!PORTAL_RESET_CHANNELS.includes(b.channel as PortalResetChannel)) {
    return {
      ok: false,
      field: "channel",
      reason: "channel : canal attendu « sms » (mobile connu) ou « email » (adresse connue)",
    };
  }
  return {
    ok: true,
    request: { nir: nir.nir, birthDate: b.birth_date as string, channel: b.channel as PortalResetChannel },
  };
}
