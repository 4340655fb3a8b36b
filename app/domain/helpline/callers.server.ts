import type { DB } from "../../../db/connection";
import type { PersonState } from "../../../db/schema";
import { checkNir, describeNirProblem, formatNir, maskNir } from "../persons/nir";
import { searchPersons } from "../persons/persons.server";

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
