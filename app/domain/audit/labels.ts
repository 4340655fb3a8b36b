import { CASE_STATE_LABELS, CASE_TYPE_LABELS, PRESENCE_LABELS, RESET_CHANNEL_LABELS } from "../helpline/case";
import { formatDateTime } from "../lifecycle/paris-time";
import { STATE_LABELS } from "../lifecycle/transitions";

/**
 * The audit log in the users' words: every action, object type and detail field the code writes, in
 * French. The one table the pages that list audit entries use (journal d'audit, a wave's actions…); a
 * unit test checks that every action written by `writeAudit` has its label here.
 */
export const AUDIT_ACTION_LABELS: Record<string, string> = {
  "auth.login": "Connexion",
  "auth.logout": "Déconnexion",
  "auth.logout_everywhere": "Déconnexion de toutes les sessions",
  "auth.password_changed": "Mot de passe changé",
  "auth.2fa_enabled": "Double authentification activée",
  "auth.2fa_disabled": "Double authentification désactivée",
  "auth.2fa_verified": "Second facteur validé",
  "auth.2fa_failed": "Échec du second facteur",
  "auth.recovery_code_used": "Code de secours utilisé",
  "auth.recovery_codes_regenerated": "Codes de secours régénérés",
  "auth.locked": "Compte verrouillé",
  "user.created": "Utilisateur créé",
  "user.disabled": "Utilisateur désactivé",
  "user.enabled": "Utilisateur réactivé",
  "user.password_reset": "Mot de passe réinitialisé",
  "user.roles_changed": "Rôles modifiés",
  "user.unlocked": "Compte déverrouillé",
  "jobs.retry": "Traitement relancé",
  "kpi.report.request": "Rapport d'indicateurs demandé",
  "kpi.campaign.request": "Calcul des indicateurs de campagne demandé",
  "kpi.target.set": "Cible d'indicateur fixée",
  "kpi.observations.import": "Chiffres mensuels importés",
  "roll.uploaded": "Fichier d'assurés déposé",
  "roll.confirmed": "Fichier d'assurés confirmé",
  "roll.discarded": "Fichier d'assurés abandonné",
  "roll.merged": "Fichier d'assurés intégré",
  "roll.held_for_review": "Fichier d'assurés en attente de décision",
  "roll.refused": "Fichier d'assurés refusé",
  "roll.rejects_downloaded": "Lignes refusées téléchargées",
  "oppositions.upload": "Oppositions reçues par courrier enregistrées",
  "wave.created": "Vague créée",
  "wave.scheduled": "Vague programmée",
  "wave.paused": "Vague suspendue",
  "wave.resumed": "Vague reprise",
  "wave.cancelled": "Vague annulée",
  "wave.completed": "Vague terminée",
  "wave.materialised": "Vague constituée (assurés et lots)",
  "wave.batch_pdf_downloaded": "Courriers d'un lot téléchargés (PDF)",
  "wave.batch_manifest_downloaded": "Manifeste d'un lot téléchargé",
  "wave.email_fallback": "E-mails en échec basculés vers un courrier (retour du fournisseur)",
  "deadline.catchup": "Rattrapage des fins de délai",
  "deadline.postpone": "Report des fins de délai d'opposition",
  "setting.updated": "Paramètres modifiés",
  "helpline.roster_saved": "Planning des effectifs enregistré",
  "helpline.identity_checked": "Identité de l'appelant vérifiée",
  "helpline.opposition_recorded": "Opposition enregistrée au 34 22",
  "helpline.space_closed": "Espace clôturé au 34 22",
  "helpline.notification_resent": "Notification renvoyée",
  "helpline.code_reset": "Nouveau code provisoire demandé",
  "helpline.queue_created": "File créée",
  "helpline.rule_saved": "Règle de routage enregistrée",
  "helpline.rule_deleted": "Règle de routage supprimée",
  "helpline.agent_saved": "Profil de conseiller enregistré",
  "helpline.sla_saved": "Délai cible (SLA) enregistré",
  "helpline.macro_saved": "Réponse type enregistrée",
  "helpline.macro_archived": "Réponse type archivée",
  "helpline.case_created": "Dossier ouvert",
  "helpline.case_state_changed": "État du dossier modifié",
  "helpline.case_type_changed": "Motif du dossier modifié",
  "helpline.case_note_added": "Note ajoutée au dossier",
  "helpline.case_taken": "Dossier pris en charge",
  "helpline.case_reassigned": "Dossier réaffecté",
  "helpline.presence_changed": "Présence du conseiller modifiée",
  "helpline.caller_searched": "Recherche d'un appelant",
  "helpline.person_viewed": "Assuré consulté depuis un dossier du 34 22",
  "person.viewed": "Fiche d'un assuré consultée",
  "person.data_exported": "Données d'un assuré exportées (droit d'accès RGPD)",
  "person.searched": "Recherche d'un assuré par NIR",
  "outbox.listed": "Boîte d'envoi (démo) consultée",
  "outbox.message_read": "Message de la boîte d'envoi (démo) lu",
  "portal.verify_locked": "Saisie de code bloquée sur le portail",
  "portal.code_reset": "Code régénéré depuis le portail",
  "retention.purge": "Purge des données arrivées en fin de conservation",
  "retention.purge_interrupted": "Purge des données interrompue (reprise au prochain passage)",
  "retention.purge_requested": "Purge des données demandée",
  "portal.code_reset_refused": "Code non régénéré depuis le portail (demande refusée)",
};

export const AUDIT_OBJECT_LABELS: Record<string, string> = {
  user: "utilisateur",
  person: "assuré",
  roll: "fichier d'assurés",
  wave: "vague",
  retention: "conservation des données",
  department: "département",
  deadline: "fins de délai",
  job: "traitement",
  app_setting: "paramètre",
  kpi_target: "cible d'indicateur",
  kpi_report: "rapport d'indicateurs",
  kpi_import: "import d'indicateurs",
  opposition_file: "fichier d'oppositions",
  helpline_case: "dossier 34 22",
  helpline_queue: "file 34 22",
  helpline_routing_rule: "règle de routage",
  helpline_agent: "conseiller",
  helpline_sla: "délai cible",
  helpline_macro: "réponse type",
  helpline_roster: "planning des effectifs",
  outbox_message: "message de démo",
};

const DETAIL_LABELS: Record<string, string> = {
  email: "adresse e-mail",
  roles: "rôles",
  added: "ajoutés",
  removed: "retirés",
  passwordGenerated: "mot de passe provisoire généré",
  sessionsRevoked: "sessions fermées",
  otherSessionsRevoked: "autres sessions fermées",
  sessionRevoked: "session fermée",
  recoveryCodes: "codes de secours",
  recoveryCodesLeft: "codes de secours restants",
  failures: "échecs",
  reason: "motif",
  queue: "file de traitement",
  job: "traitement",
  period: "période",
  indicator: "indicateur",
  year: "année",
  value: "valeur",
  previous_value: "valeur précédente",
  previous: "valeur précédente",
  revision: "révision",
  key: "chiffre",
  note: "note",
  source: "source",
  file: "fichier",
  fileName: "fichier",
  format: "format",
  size: "taille (octets)",
  force: "import forcé",
  rows: "lignes",
  lines: "lignes",
  created: "créés",
  revised: "révisés",
  unchanged: "inchangés",
  revisions: "révisions",
  inserted: "nouveaux",
  updated: "mis à jour",
  strategy: "méthode d'intégration",
  rejected: "refusées",
  thresholdPct: "seuil de refus (%)",
  applied: "oppositions enregistrées",
  transitions: "changements d'état",
  name: "nom",
  segment: "population",
  settings: "paramètres",
  departments: "départements",
  mode: "envoi",
  rollIds: "fichiers d'assurés",
  ageMin: "âge minimum",
  ageMax: "âge maximum",
  hasEmail: "adresse e-mail",
  startAt: "premier envoi",
  letterCapacityPerDay: "courriers par jour",
  emailCapacityPerHour: "e-mails par heure",
  postalDelayDays: "délai postal (jours)",
  windowDays: "délai d'opposition (jours)",
  workingDaysOnly: "jours ouvrés seulement",
  forceLetters: "courrier pour tous",
  batchSize: "taille des lots",
  batches: "lots",
  batchId: "lot",
  cancelledBatches: "lots annulés",
  cancelledMembers: "envois annulés",
  alreadySent: "déjà envoyés",
  members: "assurés",
  letters: "courriers",
  emails: "e-mails",
  overdue: "fins de délai en retard",
  days: "jours",
  moved: "fins de délai reportées",
  codes_extended: "codes prolongés",
  caseId: "dossier",
  from: "avant",
  to: "après",
  confirmation: "confirmation",
  channel: "canal",
  resetId: "demande de code",
  isEscalation: "file d'escalade",
  queueCode: "code de la file",
  caseType: "motif",
  type: "motif",
  department: "département",
  queueId: "file",
  priority: "priorité",
  capacity: "capacité",
  skills: "files",
  targetMinutes: "délai cible (minutes)",
  warnPct: "alerte à (%)",
  title: "titre",
  origin: "origine",
  length: "longueur (caractères)",
  macroId: "réponse type",
  callRate: "appels par notification",
  calibrate: "taux observé utilisé",
  ahtSeconds: "durée moyenne d'appel (s)",
  targetSeconds: "délai de décroché visé (s)",
  targetServiceLevel: "taux de décroché visé",
  peakFactor: "facteur de pointe",
  locked_until: "bloquée jusqu'au",
  known_person: "assuré connu",
  nirShown: "NIR affiché en clair",
  nirMasked: "NIR cherché (masqué)",
  by: "recherche par",
  results: "résultats",
  valid: "NIR valide",
  personIds: "assurés trouvés",
  postalCode: "code postal donné",
  stage: "étape",
  page: "page",
  messages: "messages affichés",
  message: "message",
};

const VALUE_LABELS: Record<string, string> = {
  ...STATE_LABELS,
  ...CASE_STATE_LABELS,
  ...PRESENCE_LABELS,
  ...RESET_CHANNEL_LABELS,
  ...Object.fromEntries(Object.entries(CASE_TYPE_LABELS).map(([k, v]) => [k, v.toLowerCase()])),
  telephony: "téléphonie",
  agent: "conseiller",
  renotify: "relance des assurés déjà notifiés",
  any: "indifférent",
  yes: "oui",
  no: "non",
  nir: "NIR",
  identity_check: "vérification d'identité",
  verified: "identité vérifiée",
  second_factor_failures: "trop d'échecs du second facteur",
  bulk: "en bloc (index reconstruits)",
  incremental: "ligne à ligne",
  first_load: "premier chargement",
};

/** Keys whose string value is a code to translate; other strings (names, reasons, notes) are shown as is. */
const CODED_KEYS = new Set([
  "from",
  "to",
  "channel",
  "confirmation",
  "origin",
  "mode",
  "hasEmail",
  "caseType",
  "type",
  "by",
  "stage",
  "reason",
  "strategy",
]);

export function auditActionLabel(action: string): string {
  return AUDIT_ACTION_LABELS[action] ?? `Action non répertoriée (${action})`;
}

export function auditObjectLabel(objectType: string): string {
  return AUDIT_OBJECT_LABELS[objectType] ?? objectType.replace(/_/g, " ");
}

export interface AuditDetailField {
  label: string;
  value: string;
}

const ISO_INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/;

function labelOf(key: string): string {
  return (
    DETAIL_LABELS[key] ??
    key
      .replace(/_/g, " ")
      .replace(/([a-z])([A-Z])/g, "$1 $2")
      .toLowerCase()
  );
}

function formatValue(key: string, value: unknown): string {
  if (value === null || value === undefined || value === "") return "—";
  if (typeof value === "boolean") return value ? "oui" : "non";
  if (typeof value === "number") return value.toLocaleString("fr-FR");
  if (typeof value === "string") {
    if (ISO_INSTANT.test(value) && !Number.isNaN(Date.parse(value))) return formatDateTime(new Date(value));
    if (key === "transitions" || value.includes("→"))
      return value
        .split("→")
        .map((s) => VALUE_LABELS[s] ?? s)
        .join(" → ");
    return CODED_KEYS.has(key) ? (VALUE_LABELS[value] ?? value) : value;
  }
  if (Array.isArray(value)) {
    if (value.length === 0) return "aucun";
    return value.map((v) => formatValue(key, v)).join(", ");
  }
  if (typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>);
    if (entries.length === 0) return "—";
    return entries
      .map(([k, v]) =>
        key === "transitions"
          ? `${formatValue(key, k)} : ${formatValue(k, v)}`
          : `${labelOf(k)} : ${formatValue(k, v)}`,
      )
      .join(" ; ");
  }
  return String(value);
}

/**
 * An entry's details as labelled fields, in French ("dossier : 12", "canal : e-mail", "import forcé :
 * non"); dates in Paris time; nested objects are written on one line.
 */
export function auditDetailFields(details: Record<string, unknown>): AuditDetailField[] {
  return Object.entries(details).map(([key, value]) => ({
    label: labelOf(key),
    value: formatValue(key, value),
  }));
}
