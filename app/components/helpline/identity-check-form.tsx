import { Form } from "@remix-run/react";
import { CsrfInput } from "~/components/csrf";
import { formatShortDate } from "~/domain/lifecycle/paris-time";

export interface IdentityCandidate {
  personId: number;
  firstName: string;
  lastName: string;
  birthDate: string;
  postalCode: string | null;
}

/** The identity check: the agent asks each answer without reading it out, and ticks it if it matches. */
export function IdentityCheckForm({ person, busy }: { person: IdentityCandidate; busy: boolean }) {
  return (
    <Form method="post" className="card stack" aria-labelledby="identity-title">
      <h3 id="identity-title">
        Vérification d'identité : {person.firstName} {person.lastName}
      </h3>
      <CsrfInput />
      <input type="hidden" name="intent" value="identity" />
      <input type="hidden" name="personId" value={person.personId} />
      <p className="hint">
        Demandez chaque information à l'appelant sans la lui lire, puis cochez si elle correspond.
      </p>
      <div className="checkbox">
        <input type="checkbox" id="checkName" name="checkName" />
        <label htmlFor="checkName">
          Nom et prénom donnés par l'appelant : {person.firstName} {person.lastName}
        </label>
      </div>
      <div className="checkbox">
        <input type="checkbox" id="checkBirthDate" name="checkBirthDate" />
        <label htmlFor="checkBirthDate">
          Date de naissance : {formatShortDate(new Date(`${person.birthDate}T12:00:00Z`))}
        </label>
      </div>
      <div className="checkbox">
        <input type="checkbox" id="checkPostalCode" name="checkPostalCode" />
        <label htmlFor="checkPostalCode">Code postal : {person.postalCode ?? "non renseigné"}</label>
      </div>
      <div>
        <button type="submit" className="button" disabled={busy}>
          Confirmer l'identité
        </button>
      </div>
    </Form>
  );
}
