import type { CaseDetail } from "~/domain/helpline/case-queries.server";
import { formatDateTime, formatShortDate } from "~/domain/lifecycle/paris-time";
import { STATE_LABELS } from "~/domain/lifecycle/transitions";
import { CallerSearch, type CallerSearchState } from "./caller-search";
import { type IdentityCandidate, IdentityCheckForm } from "./identity-check-form";

const REVOKED_REASONS: Record<string, string> = {
  opposed: "opposition",
  closed: "clôture de l'espace",
  replaced: "remplacé par un nouveau code",
  wave_cancelled: "vague annulée",
  email_failed: "e-mail rejeté, relais courrier",
};

/**
 * What the caller's provisional code is now. An opposed or closed space never shows a code as usable: the
 * transition revokes it (bulk-transition.server.ts); a code still unrevoked from before that rule is shown
 * inactive too.
 */
function codeLine(person: NonNullable<CaseDetail["person"]>): string {
  const code = person.activeCode;
  if (code && (person.state === "opposed" || person.state === "closed"))
    return `code provisoire inactif (espace ${STATE_LABELS[person.state]})`;
  if (code)
    return `code provisoire actif émis le ${formatShortDate(new Date(code.createdAt))}, expire le ${formatShortDate(new Date(code.expiresAt))}`;
  const spent = person.spentCode;
  if (spent?.revokedAt) {
    const why = spent.revokedReason ? REVOKED_REASONS[spent.revokedReason] : undefined;
    return `code provisoire révoqué le ${formatShortDate(new Date(spent.revokedAt))}${why ? ` (${why})` : ""}`;
  }
  if (spent?.usedAt) return `code provisoire utilisé le ${formatShortDate(new Date(spent.usedAt))}`;
  return "aucun code provisoire";
}

/** The verified caller: who they are, their space's state, their provisional code. */
function VerifiedCaller({ person }: { person: NonNullable<CaseDetail["person"]> }) {
  return (
    <>
      <p>
        <span className="badge badge-success">Identité vérifiée</span>{" "}
        <strong>
          {person.firstName} {person.lastName}
        </strong>{" "}
        — NIR <span className="mono">{person.nirDisplay}</span> — né(e) le{" "}
        {formatShortDate(new Date(`${person.birthDate}T12:00:00Z`))} — {person.postalCode} {person.city}
      </p>
      <p>
        Espace : <strong>{STATE_LABELS[person.state]}</strong>
        {person.windowEndsAt
          ? ` · fin de la fenêtre le ${formatDateTime(new Date(person.windowEndsAt))}`
          : ""}
        {` · ${codeLine(person)}`}
      </p>
    </>
  );
}

/**
 * « Appelant »: the verified caller, or — for an agent who may work the case — the caller search and the
 * identity check of the person selected.
 */
export function CallerPanel({
  person,
  verified,
  canWork,
  search,
  selected,
  busy,
}: {
  person: CaseDetail["person"];
  verified: boolean;
  canWork: boolean;
  search: CallerSearchState | null;
  selected: IdentityCandidate | null;
  busy: boolean;
}) {
  return (
    <section className="card" aria-labelledby="caller-title">
      <h2 id="caller-title">Appelant</h2>
      {person && verified ? (
        <VerifiedCaller person={person} />
      ) : canWork ? (
        <>
          <p className="hint">
            Cherchez l'appelant par son NIR, ou par nom + date de naissance (+ code postal). Avant toute
            action, demandez et cochez nom, date de naissance et code postal.
          </p>
          <CallerSearch search={search} />
          {selected ? <IdentityCheckForm person={selected} busy={busy} /> : null}
        </>
      ) : (
        <p className="empty">Appelant non identifié.</p>
      )}
    </section>
  );
}
