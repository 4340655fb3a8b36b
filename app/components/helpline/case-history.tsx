import {
  CASE_STATE_LABELS,
  CASE_TYPE_LABELS,
  type CaseState,
  type CaseType,
  RESET_CHANNEL_LABELS,
  SLA_STATUS_LABELS,
} from "~/domain/helpline/case";
import type { CaseDetail } from "~/domain/helpline/case-queries.server";
import { formatDateTime } from "~/domain/lifecycle/paris-time";

const HISTORY_KIND_LABELS: Record<string, string> = {
  created: "Création",
  state: "État",
  type: "Motif",
  queue: "File",
  assignment: "Affectation",
  person: "Assuré rattaché",
  identity: "Identité vérifiée",
  action: "Action",
  note: "Note",
  sla: "SLA",
};

function describeHistory(h: {
  kind: string;
  from: string | null;
  to: string | null;
  details: Record<string, unknown>;
}): string {
  switch (h.kind) {
    case "state":
      return `${CASE_STATE_LABELS[h.from as CaseState] ?? h.from ?? "—"} → ${CASE_STATE_LABELS[h.to as CaseState] ?? h.to}`;
    case "type":
      return `${CASE_TYPE_LABELS[h.from as CaseType] ?? h.from} → ${CASE_TYPE_LABELS[h.to as CaseType] ?? h.to}`;
    case "sla":
      return `${SLA_STATUS_LABELS[h.from as keyof typeof SLA_STATUS_LABELS] ?? h.from} → ${SLA_STATUS_LABELS[h.to as keyof typeof SLA_STATUS_LABELS] ?? h.to}`;
    case "note":
      return String(h.details.text ?? "");
    case "action": {
      const labels: Record<string, string> = {
        opposition_recorded: "opposition enregistrée",
        space_closed: "espace clôturé",
        notification_resent: "notification renvoyée",
        code_reset: "réinitialisation du code demandée",
        code_reset_delivered: "nouveau code envoyé",
        code_reset_failed: "échec d'envoi du nouveau code",
      };
      const channel = h.details.channel
        ? ` (${RESET_CHANNEL_LABELS[h.details.channel as "email"] ?? h.details.channel})`
        : "";
      const confirmation = h.details.confirmation
        ? ` — confirmation par ${h.details.confirmation === "email" ? "e-mail" : "courrier"}`
        : "";
      return `${labels[String(h.details.action)] ?? String(h.details.action)}${channel}${confirmation}`;
    }
    case "assignment":
      return h.to ? "affecté à un conseiller" : "remis dans la file";
    case "created":
      return `dossier ouvert (${h.details.origin === "telephony" ? "téléphonie" : "conseiller"})`;
    default:
      return "";
  }
}

/** The case's own history (every change) beside its routing decisions, each with its reason. */
export function CaseHistory({
  history,
  decisions,
}: {
  history: CaseDetail["history"];
  decisions: CaseDetail["decisions"];
}) {
  return (
    <div className="helpline-cols">
      <section aria-labelledby="history-title">
        <h2 id="history-title">Historique du dossier</h2>
        <ul className="helpline-history">
          {history.map((h) => (
            <li key={h.id}>
              <span className="muted">{formatDateTime(new Date(h.at))}</span> —{" "}
              <strong>{HISTORY_KIND_LABELS[h.kind] ?? h.kind}</strong> {describeHistory(h)}
              {h.actor ? <span className="muted"> ({h.actor})</span> : null}
            </li>
          ))}
        </ul>
      </section>
      <section aria-labelledby="decisions-title">
        <h2 id="decisions-title">Décisions de routage</h2>
        {decisions.length === 0 ? (
          <p className="empty">Aucune décision.</p>
        ) : (
          <ul className="helpline-history">
            {decisions.map((d) => (
              <li key={d.id}>
                <span className="muted">{formatDateTime(new Date(d.at))}</span> —{" "}
                {d.agent ? `${d.agent} : ` : ""}
                {d.reason}
              </li>
            ))}
          </ul>
        )}
      </section>
    </div>
  );
}
