import { type Kysely, sql } from "kysely";
import type { Database, PersonState } from "../../../db/schema";
import { checkNir, describeNirProblem, formatNir, maskNir } from "../persons/nir";

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
 * The console's caller lookup. Both shapes hit an index (person.nir unique; person_name_birth on
 * lower(last_name), birth_date) and return at most 20 rows; the NIR is masked unless the agent may see it.
 */
export async function findCallers(
  db: Kysely<Database>,
  query: CallerQuery,
  opts: { showNir: boolean },
): Promise<CallerSearch> {
  let q = db
    .selectFrom("person")
    .select([
      "id",
      "nir",
      "last_name",
      "first_name",
      sql<string>`to_char(birth_date, 'YYYY-MM-DD')`.as("birth_date"),
      "postal_code",
      "city",
      "department",
      "state",
    ])
    .orderBy("last_name")
    .orderBy("first_name")
    .limit(20);
  if ("nir" in query) {
    const checked = checkNir(query.nir);
    if (!checked.ok) return { ok: false, message: describeNirProblem(checked.problem) };
    q = q.where("nir", "=", checked.nir);
  } else {
    q = q
      .where(sql<string>`lower(last_name)`, "=", query.lastName.trim().toLowerCase())
      .where(sql<boolean>`birth_date = ${query.birthDate}::date`);
    if (query.postalCode) q = q.where("postal_code", "=", query.postalCode.trim());
  }
  const rows = await q.execute();
  return {
    ok: true,
    matches: rows.map((r) => ({
      personId: r.id,
      nirDisplay: opts.showNir ? formatNir(r.nir) : maskNir(r.nir),
      lastName: r.last_name,
      firstName: r.first_name,
      birthDate: r.birth_date,
      postalCode: r.postal_code,
      city: r.city,
      department: r.department,
      state: r.state,
    })),
  };
}
