import { Form, Link } from "@remix-run/react";
import { CsrfInput } from "~/components/csrf";
import type { CallerSearch as CallerSearchResult } from "~/domain/helpline/callers.server";
import { formatShortDate } from "~/domain/lifecycle/paris-time";
import { STATE_LABELS } from "~/domain/lifecycle/transitions";

/** What the case page's action answers to a caller search: the values typed, and what was found. */
export interface CallerSearchState {
  values: { nir: string; lastName: string; birthDate: string; postalCode: string };
  error: string | null;
  matches: CallerSearchResult | null;
}

/**
 * The caller lookup: by NIR, or by last name + birth date (+ postal code), and the persons found, each
 * with a link that selects it for the identity check. Both searches are posted: no NIR ever goes in the
 * address bar or the history; `search` is the action's answer (null before any search).
 */
export function CallerSearch({ search }: { search: CallerSearchState | null }) {
  const value = (key: keyof CallerSearchState["values"]) => search?.values[key] ?? "";
  return (
    <>
      <div className="helpline-cols">
        <Form method="post" className="stack" aria-labelledby="by-nir">
          <CsrfInput />
          <input type="hidden" name="intent" value="search" />
          <input type="hidden" name="by" value="nir" />
          <h3 id="by-nir">Par NIR</h3>
          <div className="field">
            <label htmlFor="nir">NIR (15 caractères)</label>
            <input
              id="nir"
              name="nir"
              type="text"
              inputMode="numeric"
              autoComplete="off"
              defaultValue={value("nir")}
            />
          </div>
          <div>
            <button type="submit" className="button button-secondary">
              Chercher par NIR
            </button>
          </div>
        </Form>
        <Form method="post" className="stack" aria-labelledby="by-name">
          <CsrfInput />
          <input type="hidden" name="intent" value="search" />
          <input type="hidden" name="by" value="name" />
          <h3 id="by-name">Par nom et date de naissance</h3>
          <div className="field">
            <label htmlFor="lastName">Nom de famille</label>
            <input
              id="lastName"
              name="lastName"
              type="text"
              autoComplete="off"
              defaultValue={value("lastName")}
            />
          </div>
          <div className="field">
            <label htmlFor="birthDate">Date de naissance</label>
            <input id="birthDate" name="birthDate" type="date" defaultValue={value("birthDate")} />
          </div>
          <div className="field">
            <label htmlFor="postalCode">Code postal (facultatif)</label>
            <input
              id="postalCode"
              name="postalCode"
              type="text"
              inputMode="numeric"
              maxLength={5}
              defaultValue={value("postalCode")}
            />
          </div>
          <div>
            <button type="submit" className="button button-secondary">
              Chercher
            </button>
          </div>
        </Form>
      </div>
      {search?.error ? (
        <p className="field-error" role="alert">
          {search.error}
        </p>
      ) : null}
      {search?.matches && !search.matches.ok ? (
        <p className="field-error" role="alert">
          {search.matches.message}
        </p>
      ) : null}
      {search?.matches?.ok ? (
        search.matches.matches.length === 0 ? (
          <p className="empty">Aucun assuré ne correspond : vérifiez l'orthographe ou cherchez par NIR.</p>
        ) : (
          <div className="table-wrap">
            <table className="table">
              <caption>Assurés correspondants ({search.matches.matches.length})</caption>
              <thead>
                <tr>
                  <th scope="col">Nom</th>
                  <th scope="col">NIR</th>
                  <th scope="col">Naissance</th>
                  <th scope="col">Code postal</th>
                  <th scope="col">Espace</th>
                  <th scope="col">
                    <span className="sr-only">Action</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {search.matches.matches.map((m) => {
                  return (
                    <tr key={m.personId}>
                      <td>
                        {m.firstName} {m.lastName}
                      </td>
                      <td className="mono">{m.nirDisplay}</td>
                      <td>{formatShortDate(new Date(`${m.birthDate}T12:00:00Z`))}</td>
                      <td>{m.postalCode ?? "—"}</td>
                      <td>{STATE_LABELS[m.state]}</td>
                      <td>
                        <Link to={`?personId=${m.personId}`}>Vérifier l'identité</Link>
                      </td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          </div>
        )
      ) : null}
    </>
  );
}
