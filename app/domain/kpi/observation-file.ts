import { DomainError } from "../domain-error";
import { cellText, readTableFile, type TableCell, type TableFormat } from "../files/table-file.server";
import type { RawObservation } from "./observation";

/**
 * Reads a KPI figures file (small: a few thousand lines at most, so it is read in memory) through the one
 * file reader (files/table-file.server.ts): a CSV in UTF-8, Windows-1252 or UTF-16, with or without BOM
 * (a UTF-8 BOM followed by bytes that are not UTF-8 is read as Windows-1252), `;` `,` or tab separated — or
 * the first sheet of an Excel workbook. French or English headers. Says what it assumed.
 */
export interface ObservationFile {
  rows: RawObservation[];
  format: TableFormat;
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

/** A month Excel made a date of (typing « 2024-03 » in a cell gives 1 March 2024) is that month again. */
function periodCell(cell: TableCell): TableCell {
  return cell instanceof Date ? cell.toISOString().slice(0, 7) : cell;
}

export async function readObservationFile(bytes: Buffer): Promise<ObservationFile> {
  const read = await readTableFile(bytes, {
    expected: "un fichier d'indicateurs CSV ou un classeur Excel",
    encoding: { checkAfterBom: true },
    maxRows: 100_000,
  });
  if (!read.ok) throw new ObservationFileError(read.message);
  const records = read.records.map((r) => r.cells);
  const lines = read.records.map((r) => r.line);
  const headerText = records[0].map((h) => cellText(h).trim());
  const header = headerText.map((h) => HEADERS[h.toLowerCase()]);
  const unknown = headerText.filter((h, i) => !header[i] && h !== "");
  if (unknown.length > 0)
    throw new ObservationFileError(
      `en-tête : colonne(s) inconnue(s) ${unknown.map((u) => `« ${u} »`).join(", ")} (attendu : indicateur;periode;valeur;unite;ventilation;departement)`,
    );
  const missing = REQUIRED.filter((r) => !header.includes(r));
  if (missing.length > 0) {
    const fr: Record<string, string> = { indicator: "indicateur", period: "periode", value: "valeur" };
    throw new ObservationFileError(
      `en-tête : colonne(s) obligatoire(s) absente(s) : ${missing.map((m) => fr[m]).join(", ")}`,
    );
  }
  const rows: RawObservation[] = [];
  records.slice(1).forEach((record, i) => {
    if (record.every((c) => cellText(c).trim() === "")) return; // blank (trailing) lines
    const row: RawObservation = { line: lines[i + 1] };
    header.forEach((field, col) => {
      if (field) row[field] = field === "period" ? periodCell(record[col] ?? "") : (record[col] ?? "");
    });
    rows.push(row);
  });
  if (rows.length === 0)
    throw new ObservationFileError("aucune ligne de données : le fichier n'a que sa ligne d'en-tête");
  return { rows, format: read.format };
}
