import {
  type ActionFunctionArgs,
  type LoaderFunctionArgs,
  type MetaFunction,
  redirect,
} from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData, useSearchParams } from "@remix-run/react";
import { z } from "zod";
import { CsrfInput } from "~/components/csrf";
import { Pagination } from "~/components/pagination";
import { actorOf, requirePermission } from "~/domain/auth/guards.server";
import { STATE_LABELS } from "~/domain/lifecycle/transitions";
import { formatNir, maskNir } from "~/domain/persons/nir";
import { type PersonListItem, searchPersons, searchPersonsByNir } from "~/domain/persons/persons.server";
import { parseBirthDate, parseDepartment } from "~/domain/rolls/rules";

export const meta: MetaFunction = () => [{ title: "Assurés — mes-ops" }];

const STATES = ["pending", "notified", "activated", "opposed", "auto_created", "closed"] as const;
const FILTER_KEYS = ["lastName", "firstName", "birthDate", "department", "state", "roll"] as const;
const Query = z.object({
  lastName: z.string().trim().max(100).optional(),
  firstName: z.string().trim().max(100).optional(),
  birthDate: z.string().trim().optional(),
  department: z.string().trim().optional(),
  state: z.enum(STATES).or(z.literal("")).optional(),
  roll: z.string().trim().optional(),
  // Beyond this a number is no longer exact in JavaScript (nor a bigint key PostgreSQL would accept).
  after: z.coerce.number().int().positive().max(Number.MAX_SAFE_INTEGER).optional(),
});

/** The criteria of a search (pagination's `after` is not one). */
const SEARCH_KEYS = ["nir", "lastName", "firstName", "birthDate", "department", "state", "roll"] as const;
const QUERY_MESSAGES = {
  lastName: "nom trop long (100 caractères au plus)",
  roll: "numéro de fichier attendu",
  state: "État de l'espace inconnu : choisissez-le dans la liste.",
  form: "Recherche invalide : relancez-la depuis le formulaire.",
};

type FieldErrors = Partial<Record<"nir" | "lastName" | "birthDate" | "department" | "roll" | "form", string>>;

type PersonRow = PersonListItem & { birthLabel: string };

interface SearchView {
  persons: PersonRow[];
  nextAfter: number | null;
  errors: FieldErrors;
  searched: boolean;
  /** The NIR typed, echoed into the form after a NIR search (the page body, never the URL). */
  nir: string;
}

function rowsOf(persons: PersonListItem[], showNir: boolean): PersonRow[] {
  return persons.map((p) => ({
    ...p,
    nir: showNir ? formatNir(p.nir) : maskNir(p.nir),
    birthLabel: `${p.birthDate.slice(8, 10)}/${p.birthDate.slice(5, 7)}/${p.birthDate.slice(0, 4)}`,
  }));
}

/**
 * The filters (name + birth date, department, state, roll) are a GET: shareable, paginated. A NIR is never
 * put in a URL (it would stay in the browser's history): the form posts, and a NIR search is answered by
 * the action itself (audited, NIR masked); a post without a NIR is redirected to the filters' URL.
 */
export async function loader({ request, context }: LoaderFunctionArgs): Promise<SearchView> {
  const user = await requirePermission(request, context, "persons:read");
  const url = new URL(request.url);
  if (url.searchParams.has("nir")) {
    // An old link or bookmark: drop the NIR from the address.
    url.searchParams.delete("nir");
    throw redirect(`${url.pathname}${url.search}`);
  }
  const parsed = Query.safeParse(Object.fromEntries(url.searchParams));
  const showNir = user.permissions.has("persons:read_nir");
  const empty = { persons: [], nextAfter: null, nir: "" };
  const errors: FieldErrors = {};
  // A search is what was typed, valid or not: an invalid criterion is still a search (not run), never
  // "no person recorded yet".
  const searched = SEARCH_KEYS.some((k) => (url.searchParams.get(k) ?? "").trim() !== "");
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const key = issue.path[0];
      if (key === "lastName" || key === "roll") errors[key] ??= QUERY_MESSAGES[key];
      else errors.form ??= key === "state" ? QUERY_MESSAGES.state : QUERY_MESSAGES.form;
    }
    return { ...empty, errors, searched: true };
  }
  const q = parsed.data;
  let birthDate: string | undefined;
  if (q.birthDate) {
    const b = parseBirthDate(q.birthDate);
    if (!b.ok) errors.birthDate = b.message;
    else birthDate = b.value;
  }
  let department: string | undefined;
  if (q.department) {
    const d = parseDepartment(q.department);
    if (!d.ok) errors.department = d.message;
    else department = d.value;
  }
  let rollId: number | undefined;
  if (q.roll) {
    if (/^\d{1,15}$/.test(q.roll)) rollId = Number(q.roll);
    else errors.roll = `numéro de fichier attendu (15 chiffres au plus) : « ${q.roll.slice(0, 30)} »`;
  }
  if (q.lastName && !birthDate && !errors.birthDate)
    errors.birthDate = "la recherche par nom demande aussi la date de naissance";
  if (birthDate && !q.lastName) errors.lastName = "la recherche par date de naissance demande aussi le nom";
  if (Object.keys(errors).length > 0) return { ...empty, errors, searched };
  const result = await searchPersons(context.db, {
    lastName: q.lastName || undefined,
    firstName: q.firstName || undefined,
    birthDate,
    department,
    state: q.state || undefined,
    rollId,
    after: q.after,
  });
  return { persons: rowsOf(result.persons, showNir), nextAfter: result.nextAfter, errors, searched, nir: "" };
}

export async function action({ request, context }: ActionFunctionArgs): Promise<SearchView> {
  const user = await requirePermission(request, context, "persons:read");
  const form = await request.formData();
  const text = (key: string) => {
    const v = form.get(key);
    return typeof v === "string" ? v.trim() : "";
  };
  const nirInput = text("nir");
  if (!nirInput) {
    const filters = new URLSearchParams();
    for (const key of FILTER_KEYS) if (text(key)) filters.set(key, text(key));
    const query = filters.toString();
    throw redirect(query ? `/persons?${query}` : "/persons");
  }
  const showNir = user.permissions.has("persons:read_nir");
  const found = await searchPersonsByNir(context.db, actorOf(user, context), { nir: nirInput });
  if (!found.ok)
    return { persons: [], nextAfter: null, errors: { nir: found.message }, searched: true, nir: nirInput };
  return {
    persons: rowsOf(found.persons, showNir),
    nextAfter: null,
    errors: {},
    searched: true,
    nir: nirInput,
  };
}

export default function Persons() {
  const listed = useLoaderData<typeof loader>();
  const posted = useActionData<typeof action>();
  const { persons, nextAfter, errors, searched } = posted ?? listed;
  const invalid = Object.keys(errors).length > 0;
  const [params] = useSearchParams();
  const value = (k: string) => (k === "nir" ? (posted?.nir ?? "") : posted ? "" : (params.get(k) ?? ""));
  const next = new URLSearchParams(params);
  if (nextAfter) next.set("after", String(nextAfter));
  const first = new URLSearchParams(params);
  first.delete("after");
  return (
    <>
      <div className="page-header">
        <div>
          <h1>Assurés</h1>
          <p className="muted">
            Recherche par NIR exact, ou par nom et date de naissance ; filtres par département, état et
            fichier.
          </p>
        </div>
      </div>
      <Form
        method="post"
        className="card stack"
        role="search"
        aria-label="Rechercher un assuré"
        key={posted ? "posted" : params.toString()}
      >
        <CsrfInput />
        <div className="grid">
          <Field
            name="nir"
            label="NIR (15 caractères, espaces permis)"
            value={value("nir")}
            error={errors.nir}
          />
          <Field name="lastName" label="Nom" value={value("lastName")} error={errors.lastName} />
          <Field name="firstName" label="Prénom (facultatif)" value={value("firstName")} />
          <Field
            name="birthDate"
            label="Date de naissance (JJ/MM/AAAA)"
            value={value("birthDate")}
            error={errors.birthDate}
          />
          <Field
            name="department"
            label="Département"
            value={value("department")}
            error={errors.department}
          />
          <div className="field">
            <label htmlFor="state">État de l'espace</label>
            <select id="state" name="state" defaultValue={value("state")}>
              <option value="">Tous</option>
              {STATES.map((s) => (
                <option key={s} value={s}>
                  {STATE_LABELS[s]}
                </option>
              ))}
            </select>
          </div>
          <Field name="roll" label="N° de fichier d'assurés" value={value("roll")} error={errors.roll} />
        </div>
        {errors.form ? (
          <p className="field-error" role="alert">
            {errors.form}
          </p>
        ) : null}
        <div className="toolbar">
          <button type="submit" className="button">
            Rechercher
          </button>
          <Link to="/persons" className="button button-secondary">
            Effacer
          </Link>
        </div>
      </Form>
      {invalid ? (
        <p className="empty" data-testid="persons-empty">
          {errors.form
            ? "Recherche non lancée."
            : `Recherche non lancée : corrigez ${
                Object.keys(errors).length > 1 ? "les champs signalés" : "le champ signalé"
              } ci-dessus.`}
        </p>
      ) : persons.length === 0 ? (
        <p className="empty" data-testid="persons-empty">
          {searched
            ? "Aucun assuré ne correspond à cette recherche."
            : "Aucun assuré enregistré pour l'instant."}
        </p>
      ) : (
        // biome-ignore lint/a11y/noNoninteractiveTabindex: a scrollable table must be reachable with the keyboard (axe)
        <section className="table-wrap" tabIndex={0} aria-label="Assurés trouvés">
          <table className="table">
            <caption className="sr-only">Assurés trouvés</caption>
            <thead>
              <tr>
                <th scope="col">NIR</th>
                <th scope="col">Nom</th>
                <th scope="col">Prénom</th>
                <th scope="col">Naissance</th>
                <th scope="col">Département</th>
                <th scope="col">Commune</th>
                <th scope="col">État</th>
              </tr>
            </thead>
            <tbody>
              {persons.map((p) => (
                <tr key={p.id}>
                  <td className="mono">
                    <Link to={`/persons/${p.id}`}>{p.nir}</Link>
                  </td>
                  <td>{p.lastName}</td>
                  <td>{p.firstName}</td>
                  <td>{p.birthLabel}</td>
                  <td>{p.department}</td>
                  <td>{p.city ?? "—"}</td>
                  <td>{STATE_LABELS[p.state]}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </section>
      )}
      <Pagination
        label="Pagination"
        previous={
          !posted && params.get("after") ? { to: `/persons?${first}`, label: "« Première page" } : null
        }
        next={!posted && nextAfter ? { to: `/persons?${next}`, label: "Page suivante »" } : null}
      />
    </>
  );
}

function Field({
  name,
  label,
  value,
  error,
}: {
  name: string;
  label: string;
  value: string;
  error?: string;
}) {
  return (
    <div className="field">
      <label htmlFor={name}>{label}</label>
      <input
        id={name}
        name={name}
        type="text"
        defaultValue={value}
        aria-invalid={error ? true : undefined}
        aria-describedby={error ? `${name}-error` : undefined}
      />
      {error ? (
        <p className="field-error" id={`${name}-error`}>
          {error}
        </p>
      ) : null}
    </div>
  );
}
