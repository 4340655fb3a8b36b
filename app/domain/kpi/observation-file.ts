import { parse } from "csv-parse/sync";
import iconv from "iconv-lite";
import { DomainError } from "../domain-error";
import { sniffEncoding, type TextEncoding, UTF8_BOM_LENGTH } from "../files/text-encoding";
import type { RawObservation } from "./observation";

/**
 * Reads a KPI figures file (small: a few thousand lines at most, so it is parsed in memory): UTF-8 or
 * Windows-1252, with or without BOM (files/text-encoding.ts), `;` or `,` separated, French or English
 * headers. Says what it assumed.
 */
export interface ObservationFile {
  rows: RawObservation[];
  encoding: TextEncoding;
  delimiter: ";" | ",";
}

export class ObservationFileError extends DomainError {
  constructor(message: string) {
    super("invalid", message);
  }
}

const HEADERS: Record<string, keyof Omit<RawObservation, "line">> = {
  indicateur: "indicator",
  indicator: "indicator",
  code: "indicator",
  periode: "period",
  période: "period",
  mois: "period",
  period: "period",
  valeur: "value",
  value: "value",
  unite: "unit",
  unité: "unit",
  unit: "unit",
  ventilation: "breakdown",
  breakdown: "breakdown",
  departement: "department",
  département: "department",
  department: "department",
};
const REQUIRED: Array<keyof Omit<RawObservation, "line">> = ["indicator", "period", "value"];

/** The bytes after a BOM must be UTF-8 too, or the file is read as Windows-1252 (BOM left out). */
function decode(bytes: Buffer): { text: string; encoding: ObservationFile["encoding"] } {
  const { encoding, hasBom } = sniffEncoding(bytes, { checkAfterBom: true });
  const body = hasBom ? bytes.subarray(UTF8_BOM_LENGTH) : bytes;
  return {
    text: encoding === "utf-8" ? new TextDecoder("utf-8").decode(body) : iconv.decode(body, "win1252"),
    encoding,
  };
}

export function readObservationFile(bytes: Buffer): ObservationFile {
  if (bytes.length === 0) throw new ObservationFileError("fichier vide");
  const { text, encoding } = decode(bytes);
  const firstLine = text.split(/\r?\n/, 1)[0] ?? "";
  const delimiter = (firstLine.split(";").length >= firstLine.split(",").length ? ";" : ",") as ";" | ",";
  let records: string[][];
  try {
    records = parse(text, { delimiter, relax_column_count: true, skip_empty_lines: false, bom: false });
  } catch (error) {
    const e = error as { lines?: number; message: string };
    throw new ObservationFileError(
      `fichier CSV illisible${e.lines ? ` (ligne ${e.lines})` : ""} : ${e.message}`,
    );
  }
  if (records.length === 0) throw new ObservationFileError("fichier vide");
  const header = records[0].map((h) => HEADERS[h.trim().toLowerCase()]);
  const unknown = records[0].filter((_, i) => !header[i] && records[0][i].trim() !== "");
  if (unknown.length > 0)
    throw new ObservationFileError(
      `en-tête : colonne(s) inconnue(s) ${unknown.map((u) => `« ${u.trim()} »`).join(", ")} (attendu : indicateur;periode;valeur;unite;ventilation;departement)`,
    );
  const missing = REQUIRED.filter((r) => !header.includes(r));
  if (missing.length > 0) {
    const fr: Record<string, string> = { indicator: "indicateur", period: "periode", value: "valeur" };
    throw new ObservationFileError(
      `en-tête : colonne(s) obligatoire(s) absente(s) : ${missing.map((m) => fr[m]).join(", ")}`,
    );
  }
  const rows: RawObservation[] = [];
  // csv-parse counts physical lines; quoted newlines are rare in these files, so the record index + 1 is
  // the line number people see in a spreadsheet.
  records.slice(1).forEach((record, i) => {
    if (record.every((c) => c.trim() === "")) return; // blank (trailing) lines
    const row: RawObservation = { line: i + 2 };
    header.forEach((field, col) => {
      if (field) row[field] = record[col] ?? "";
    });
    rows.push(row);
  });
  if (rows.length === 0) throw new ObservationFileError("aucune ligne de données après l'en-tête");
  return { rows, encoding, delimiter };
}
