import { ENCODING_LABELS, type TextEncoding } from "~/domain/files/encodings";
import { DELIMITER_LABELS } from "~/domain/rolls/roll";

/** `106 Mo`, `2,1 Mo`, `740 ko`. */
export function formatBytes(bytes: number): string {
  if (bytes >= 1e9) return `${(bytes / 1e9).toLocaleString("fr-FR", { maximumFractionDigits: 1 })} Go`;
  if (bytes >= 1e6) return `${(bytes / 1e6).toLocaleString("fr-FR", { maximumFractionDigits: 1 })} Mo`;
  return `${Math.max(1, Math.round(bytes / 1e3)).toLocaleString("fr-FR")} ko`;
}

export function formatNumber(n: number | null | undefined): string {
  return n == null ? "—" : n.toLocaleString("fr-FR");
}

export function describeFormat(f: {
  encoding: string | null;
  hasBom: boolean | null;
  delimiter: string | null;
  lineEnding: string | null;
}): string {
  if (!f.encoding) return "pas encore analysé";
  const label = ENCODING_LABELS[f.encoding as TextEncoding] ?? f.encoding;
  const encoding = f.encoding === "windows-1252" ? label : `${label}${f.hasBom ? " avec BOM" : " sans BOM"}`;
  return `${encoding}, séparateur ${DELIMITER_LABELS[f.delimiter ?? ""] ?? f.delimiter}, fins de ligne ${f.lineEnding === "CRLF" ? "Windows (CRLF)" : "Unix (LF)"}`;
}

export const ROLL_STATE_BADGES: Record<string, string> = {
  uploaded: "badge-info",
  parsing: "badge-info",
  validated: "badge-info",
  held_for_review: "badge-warning",
  merging: "badge-info",
  merged: "badge-success",
  refused: "badge-error",
  discarded: "badge-error",
};
