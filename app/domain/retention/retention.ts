import type { RetentionPolicy } from "../../config/config.server";

/** What the purge drops, kind by kind (ADR 029). Each keeps the facts and drops the secret or the detail. */
export const RETENTION_KINDS = [
  "code_hashes",
  "member_details",
  "email_events",
  "email_submissions",
  "helpline_notes",
  "roll_files",
] as const;
export type RetentionKind = (typeof RETENTION_KINDS)[number];

export const RETENTION_KIND_LABELS: Record<RetentionKind, { label: string; rule: string }> = {
  code_hashes: {
    label: "Empreintes des codes provisoires",
    rule: "code expiré depuis plus de {days} jours : l'empreinte est effacée, la ligne (émis, utilisé, révoqué) reste",
  },
  member_details: {
    label: "Détails du registre d'envoi (identifiant fournisseur, erreur)",
    rule: "vague terminée ou annulée depuis plus de {days} jours : statut et dates restent",
  },
  email_events: {
    label: "Événements des fournisseurs d'e-mail (webhooks)",
    rule: "reçus depuis plus de {days} jours : supprimés (remise et rejet restent sur le destinataire)",
  },
  email_submissions: {
    label: "Registre des soumissions SMTP",
    rule: "soumises depuis plus de {days} jours : supprimées",
  },
  helpline_notes: {
    label: "Notes des dossiers 34 22",
    rule: "dossier résolu depuis plus de {days} jours : le texte est effacé, la trace de la note reste",
  },
  roll_files: {
    label: "Fichiers de rôles téléversés",
    rule: "import terminé depuis plus de {days} jours : le fichier est supprimé du disque",
  },
};

export function retentionDays(policy: RetentionPolicy, kind: RetentionKind): number {
  switch (kind) {
    case "code_hashes":
      return policy.codeHashDays;
    case "member_details":
    case "email_events":
    case "email_submissions":
      return policy.ledgerDays;
    case "helpline_notes":
      return policy.helplineNoteDays;
    case "roll_files":
      return policy.uploadDays;
  }
}

const DAY_MS = 86_400_000;

/** The instant before which a kind's data is due: `now` minus its retention. */
export function retentionCutoff(policy: RetentionPolicy, kind: RetentionKind, now: Date): Date {
  return new Date(now.getTime() - retentionDays(policy, kind) * DAY_MS);
}

export function describeRule(policy: RetentionPolicy, kind: RetentionKind): string {
  return RETENTION_KIND_LABELS[kind].rule.replace("{days}", String(retentionDays(policy, kind)));
}

export type RetentionCounts = Record<RetentionKind, number>;

export function zeroCounts(): RetentionCounts {
  return Object.fromEntries(RETENTION_KINDS.map((k) => [k, 0])) as RetentionCounts;
}
