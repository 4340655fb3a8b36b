import type { DB } from "../../../db/connection";
import type { PersonState } from "../../../db/schema";
import { type AuditActor, writeAudit } from "../audit/audit.server";
import { checkNir, describeNirProblem, formatNir, maskNir } from "../persons/nir";
import { searchPersons } from "../persons/persons.server";
import type { CaseActor } from "./cases.server";
import { HelplineError } from "./errors";

/** What the agent may type to find a caller: the NIR, or name + birth date (+ postal code). */
export type CallerQuery =
  | { nir: string }
  | { lastName: string; birthDate: string; postalCode?: string | null };

export interface CallerMatch {
  personId: number;
  nirDisplay: string;
  lastName: string;
  firstName: string;
  birthDate: string;
  postalCode: string | null;
  city: string | null;
  department: string;
  state: PersonState;
}

export type CallerSearch = { ok: true; matches: CallerMatch[] } | { ok: false; message: string };

/**
 * The console's caller lookup, on the persons context's search (indexed: person.nir unique,
 * person_birth_name on birth_date, lower(last_name)): a checked NIR, or name + birth date, at most 20
 * rows, then the postal codes the identity check asks for (and filters on). The NIR is masked unless the
 * agent may see it.
 */
export async function findCallers(
  db: DB,
  query: CallerQuery,
  opts: { showNir: boolean },
): Promise<CallerSearch> {
  let found: Awaited<ReturnType<typeof searchPersons>>;
  if ("nir" in query) {
    const checked = checkNir(query.nir);
    if (!checked.ok) return { ok: false, message: describeNirProblem(checked.problem) };
    found = await searchPersons(db, { nir: checked.nir, limit: 20 });
  } else {
    found = await searchPersons(db, { lastName: query.lastName, birthDate: query.birthDate, limit: 20 });
  }
  const ids = found.persons.map((p) => p.id);
  const postal = ids.length
    ? await db.selectFrom("person").select(["id", "postal_code"]).where("id", "in", ids).execute()
    : [];
  const postalOf = new Map(postal.map((p) => [p.id, p.postal_code]));
  const wantedPostal = "nir" in query ? null : query.postalCode?.trim() || null;
  return {
    ok: true,
    matches: found.persons
      .filter((p) => !wantedPostal || postalOf.get(p.id) === wantedPostal)
      .map((p) => ({
        personId: p.id,
        nirDisplay: opts.showNir ? formatNir(p.nir) : maskNir(p.nir),
        lastName: p.lastName,
        firstName: p.firstName,
        birthDate: p.birthDate,
        postalCode: postalOf.get(p.id) ?? null,
        city: p.city,
        department: p.department,
        state: p.state,
      }))
      .sort(
        (a, b) => a.lastName.localeCompare(b.lastName, "fr") || a.firstName.localeCompare(b.firstName, "fr"),
      ),
  };
}

/** The case an agent searches or checks a caller from: one they may work on (theirs, or any for a supervisor), not resolved. */
async function workableCase(db: DB, caseActor: CaseActor, caseId: number): Promise<void> {
  const c = await db
    .selectFrom("helpline_case")
    .select(["assigned_user_id", "state"])
    .where("id", "=", caseId)
    .executeTakeFirst();
  if (!c) throw new HelplineError("not_found", "dossier introuvable");
  if (c.assigned_user_id !== caseActor.userId && !caseActor.mayRoute)
    throw new HelplineError(
      "not_yours",
      "ce dossier n'est pas affecté à vous : prenez-le par « Dossier suivant »",
    );
  if (c.state === "resolved") throw new HelplineError("refused", "dossier résolu");
}

/**
 * The caller search of a case, audited (helpline.caller_searched, on the case): by NIR (masked in the
 * details) or by name, and the persons it found. The search is posted, never put in a URL.
 */
export async function searchCallers(
  db: DB,
  actor: AuditActor,
  params: { caseActor: CaseActor; caseId: number; query: CallerQuery; showNir: boolean },
): Promise<CallerSearch> {
  await workableCase(db, params.caseActor, params.caseId);
  const result = await findCallers(db, params.query, { showNir: params.showNir });
  const byNir = "nir" in params.query;
  await writeAudit(db, actor, {
    action: "helpline.caller_searched",
    objectType: "helpline_case",
    objectId: params.caseId,
    details: {
      by: byNir ? "nir" : "name",
      ...("nir" in params.query ? { nirMasked: maskNir(params.query.nir) } : {}),
      ...("postalCode" in params.query ? { postalCode: Boolean(params.query.postalCode) } : {}),
      results: result.ok ? result.matches.length : 0,
      personIds: result.ok ? result.matches.map((m) => m.personId) : [],
    },
  });
  return result;
}

/** The person an agent selected for the identity check: what the check asks about. */
export interface CallerCandidate {
  personId: number;
  firstName: string;
  lastName: string;
  birthDate: string;
  postalCode: string | null;
}

/**
 * A person shown on a case (the candidate of an identity check, or the verified caller), audited
 * (helpline.person_viewed, on the person, with the case and the step).
 */
export async function viewCaller(
  db: DB,
  actor: AuditActor,
  params: { caseId: number; personId: number; stage: "identity_check" | "verified" },
): Promise<CallerCandidate | null> {
  const p = await db
    .selectFrom("person")
    .select(["id", "first_name", "last_name", "birth_date", "postal_code"])
    .where("id", "=", params.personId)
    .executeTakeFirst();
  if (!p) return null;
  await writeAudit(db, actor, {
    action: "helpline.person_viewed",
    objectType: "person",
    objectId: p.id,
    details: { caseId: params.caseId, stage: params.stage },
  });
  const birth = p.birth_date;
  return {
    personId: p.id,
    firstName: p.first_name,
    lastName: p.last_name,
    birthDate:
      typeof birth === "string"
        ? String(birth).slice(0, 10)
        : `${birth.getFullYear()}-${String(birth.getMonth() + 1).padStart(2, "0")}-${String(birth.getDate()).padStart(2, "0")}`,
    postalCode: p.postal_code,
  };
}
