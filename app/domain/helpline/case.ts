import type {
  AgentPresence,
  CaseState,
  CaseType,
  ResetChannel,
  SlaStatus,
} from "../../../db/tables/helpline";

export type { AgentPresence, CaseState, CaseType, ResetChannel, SlaStatus };

export const CASE_TYPES: readonly CaseType[] = [
  "opposition",
  "code_reset",
  "letter_not_received",
  "activation_help",
  "closure",
  "data_request",
  "other",
];
export const PRESENCES: readonly AgentPresence[] = ["available", "busy", "away"];

export const CASE_TYPE_LABELS: Record<CaseType, string> = {
  opposition: "Opposition",
  code_reset: "Code provisoire perdu ou expiré",
  letter_not_received: "Courrier ou e-mail non reçu",
  activation_help: "Aide à l'activation",
  closure: "Clôture de l'espace",
  data_request: "Demande d'accès aux données",
  other: "Autre demande",
};
export const CASE_STATE_LABELS: Record<CaseState, string> = {
  new: "nouveau",
  assigned: "affecté",
  in_progress: "en cours",
  waiting_callback: "en attente de rappel",
  resolved: "résolu",
  escalated: "escaladé",
};
export const PRESENCE_LABELS: Record<AgentPresence, string> = {
  available: "disponible",
  busy: "occupé",
  away: "absent",
};
export const SLA_STATUS_LABELS: Record<SlaStatus, string> = {
  ok: "dans les délais",
  at_risk: "à risque",
  breached: "dépassé",
};
export const RESET_CHANNEL_LABELS: Record<ResetChannel, string> = {
  email: "e-mail",
  sms: "SMS",
  letter: "courrier",
};

/** The telephony server's voice menu (SVI): digit pressed → case type. */
export const IVR_CHOICES: Record<string, CaseType> = {
  "1": "opposition",
  "2": "code_reset",
  "3": "letter_not_received",
  "4": "activation_help",
  "5": "closure",
  "6": "data_request",
};

export function caseTypeOfIvr(choice: string | null | undefined): CaseType {
  return (choice && IVR_CHOICES[choice.trim()]) || "other";
}

/** State changes an agent may make by hand (routing and SLA jobs make the others). */
export const MANUAL_STATE_CHANGES: Record<CaseState, CaseState[]> = {
  new: [],
  assigned: ["in_progress", "waiting_callback", "resolved"],
  in_progress: ["waiting_callback", "resolved"],
  waiting_callback: ["in_progress", "resolved"],
  escalated: ["in_progress", "waiting_callback", "resolved"],
  resolved: [],
};

/** A case as lists show it (serialisable). */
export interface CaseSummary {
  id: number;
  type: CaseType;
  state: CaseState;
  queueName: string;
  priority: number;
  department: string | null;
  createdAt: string;
  slaStatus: SlaStatus;
  slaDueAt: string | null;
  personName: string | null;
  assignedName: string | null;
}
