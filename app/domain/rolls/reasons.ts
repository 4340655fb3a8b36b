/** Why a row was refused (severity error) or flagged (warning), with the French label the UI shows. */
export const REJECT_REASONS = {
  column_count: "Nombre de champs incorrect",
  truncated: "Enregistrement tronqué en fin de fichier",
  nir_missing: "NIR absent",
  nir_invalid: "NIR mal formé",
  nir_key: "Clé NIR invalide",
  name_invalid: "Nom ou prénom absent ou invalide",
  birth_date_invalid: "Date de naissance invalide",
  address_invalid: "Adresse ou commune absente",
  postal_code_invalid: "Code postal invalide",
  department_invalid: "Département invalide",
  email_invalid: "Adresse électronique invalide",
  phone_invalid: "Numéro de téléphone invalide",
  holder_nir_invalid: "NIR de l'ouvrant droit invalide",
  holder_not_found: "Ouvrant droit introuvable",
  duplicate_nir: "NIR en double dans le fichier",
  nir_birth_mismatch: "NIR et date de naissance incohérents (avertissement)",
  department_postal_mismatch: "Département et code postal incohérents (avertissement)",
} as const;

export type RejectReason = keyof typeof REJECT_REASONS;

export function reasonLabel(reason: string): string {
  return (REJECT_REASONS as Record<string, string>)[reason] ?? reason;
}

/** `4711` → `4 711` (French grouping, plain spaces so terminals and CSV show it the same). */
export function formatCount(n: number): string {
  return String(n).replace(/\B(?=(\d{3})+(?!\d))/g, " ");
}

/** « ligne 4 711 : clé NIR invalide (attendue 38, lue 83) » */
export function lineMessage(line: number, message: string): string {
  return `ligne ${formatCount(line)} : ${message}`;
}
