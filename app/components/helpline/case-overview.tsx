import { SLA_STATUS_LABELS } from "~/domain/helpline/case";
import type { CaseDetail } from "~/domain/helpline/case-queries.server";
import { formatWorkingMinutes } from "~/domain/helpline/sla";
import { formatDateTime } from "~/domain/lifecycle/paris-time";

function slaBadgeClass(status: string): string {
  return status === "ok"
    ? "badge badge-success"
    : status === "at_risk"
      ? "badge badge-warning"
      : "badge badge-error";
}

/** The call that opened the case, and the case's SLA clock. */
export function CaseOverview({ case: c }: { case: CaseDetail }) {
  return (
    <div className="helpline-cols">
      <section className="card" aria-labelledby="call-title">
        <h2 id="call-title">Appel</h2>
        <dl className="details">
          <dt>Ouvert le</dt>
          <dd>{formatDateTime(new Date(c.createdAt))}</dd>
          <dt>Origine</dt>
          <dd>
            {c.origin === "telephony"
              ? `téléphonie (choix SVI ${c.ivrChoice ?? "—"})`
              : "ouvert par un conseiller"}
          </dd>
          <dt>Numéro de l'appelant</dt>
          <dd>{c.callerNumber ?? "—"}</dd>
          {c.subject ? (
            <>
              <dt>Objet</dt>
              <dd>{c.subject}</dd>
            </>
          ) : null}
        </dl>
      </section>
      <section className="card" aria-labelledby="sla-title">
        <h2 id="sla-title">SLA</h2>
        <p>
          <span className={slaBadgeClass(c.slaStatus)}>{SLA_STATUS_LABELS[c.slaStatus]}</span>
        </p>
        {c.slaTargetMinutes ? (
          <p>
            Objectif : {formatWorkingMinutes(c.slaTargetMinutes)} ouvrés.{" "}
            {c.state === "waiting_callback"
              ? `En pause (attente de rappel) ; ${formatWorkingMinutes(c.slaConsumedMinutes)} consommés.`
              : c.slaDueAt
                ? `Échéance : ${formatDateTime(new Date(c.slaDueAt))}${c.slaWarnAt ? ` (alerte le ${formatDateTime(new Date(c.slaWarnAt))})` : ""}.`
                : ""}
          </p>
        ) : (
          <p className="empty">Pas de SLA pour ce motif.</p>
        )}
        <p className="hint">Heures ouvrées : lundi–vendredi 8 h 30–17 h 30, hors jours fériés.</p>
      </section>
    </div>
  );
}
