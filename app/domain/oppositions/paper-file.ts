import {
  cellText,
  excelNumberProblem,
  readTableFile,
  type TableCell,
  type TableFormat,
} from "../files/table-file.server";
import { isCalendarDate, parisDate, parisInstant } from "../lifecycle/paris-time";
import { checkNir, describeNirProblem, maskNir } from "../persons/nir";
import { normaliseHeader, ROLL_COLUMNS } from "../rolls/columns";

/**
 * A file of paper opposition forms: one NIR a line (header optional), optionally the date the form was
 * received. Read by the one file reader (files/table-file.server.ts): a CSV or text export in UTF-8,
 * Windows-1252 or UTF-16, with or without BOM, `;` `,` or tab, quoted fields, CRLF — or the first sheet of
 * an Excel workbook.
 */
export interface PaperFormat {
  file: TableFormat;
  hasHeader: boolean;
  nirColumn: number;
  dateColumn: number | null;
}

export interface PaperLine {
  line: number;
  nir: string;
  at: Date | null;
}

export interface PaperReject {
  line: number;
  /** Masked: the page and the report never show a clear NIR. */
  nir: string;
  reason: string;
}

export type PaperFile =
  | { ok: true; format: PaperFormat; lines: PaperLine[]; rejects: PaperReject[] }
  | { ok: false; message: string };

const NIR_ALIASES = new Set([
  ...(ROLL_COLUMNS.find((c) => c.field === "nir")?.aliases ?? ["nir"]),
  "n de securite sociale",
  "no de securite sociale",
]);
const DATE_ALIASES = new Set([
  "date",
  "date de reception",
  "date reception",
  "recu le",
  "date opposition",
  "date d opposition",
]);

/**
 * `12/02/2022`, `2022-02-12` or a workbook's date cell → the Paris calendar date of reception (a day, not
 * an instant: the form was received that day, whatever the hour).
 */
function parseReceivedDay(cell: TableCell | undefined): string | null | "invalid" {
  if (cell instanceof Date) return Number.isNaN(cell.getTime()) ? "invalid" : cell.toISOString().slice(0, 10);
  const v = cellText(cell).trim();
  if (!v) return null;
  const fr = /^(\d{2})\/(\d{2})\/(\d{4})$/.exec(v);
  const iso = fr ? `${fr[3]}-${fr[2]}-${fr[1]}` : /^\d{4}-\d{2}-\d{2}$/.test(v) ? v : null;
  return iso && isCalendarDate(iso) ? iso : "invalid";
}

/**
 * A NIR cell. A workbook may hold it as a number: a whole one of 13 or 15 digits is exactly the NIR typed
 * (Excel keeps 15 significant digits), anything else is what Excel made of it.
 */
function nirText(cell: TableCell | undefined): { value: string } | { problem: string } {
  if (typeof cell === "number" && Number.isSafeInteger(cell) && /^\d{13}(\d{2})?$/.test(String(cell)))
    return { value: String(cell) };
  const problem = excelNumberProblem(cell, "un NIR attendu");
  return problem ? { problem } : { value: cellText(cell) };
}

export async function readPaperFile(bytes: Buffer, now = new Date()): Promise<PaperFile> {
  const read = await readTableFile(bytes, {
    expected: "une liste CSV ou un classeur Excel de NIR",
    maxRows: 200_000,
  });
  if (!read.ok) return read;
  const records = read.records;
  const today = parisDate(now);
  const header = records[0]?.cells.map((h) => normaliseHeader(cellText(h))) ?? [];
  const headerNir = header.findIndex((h) => NIR_ALIASES.has(h));
  const first = nirText(records[0]?.cells[0]);
  const hasHeader = headerNir >= 0 || !("value" in first && checkNir(first.value).ok);
  if (hasHeader && headerNir < 0) {
    return {
      ok: false,
      message: "ligne 1 : colonne NIR introuvable (en-tête attendu « NIR » ou « N° de sécurité sociale »)",
    };
  }
  if (hasHeader && records.length === 1)
    return { ok: false, message: "aucune ligne de données : le fichier n'a que sa ligne d'en-tête" };
  const nirColumn = hasHeader ? headerNir : 0;
  const dateIndex = hasHeader
    ? header.findIndex((h) => DATE_ALIASES.has(h))
    : (records[0]?.cells.length ?? 0) > 1
      ? 1
      : -1;
  const format: PaperFormat = {
    file: read.format,
    hasHeader,
    nirColumn,
    dateColumn: dateIndex >= 0 ? dateIndex : null,
  };
  const lines: PaperLine[] = [];
  const rejects: PaperReject[] = [];
  const seen = new Set<string>();
  for (const record of hasHeader ? records.slice(1) : records) {
    const cell = nirText(record.cells[nirColumn]);
    if ("problem" in cell) {
      rejects.push({ line: record.line, nir: "—", reason: cell.problem });
      continue;
    }
    const value = cell.value;
    const checked = checkNir(value);
    if (!checked.ok) {
      rejects.push({
        line: record.line,
        nir: value.trim() ? maskNir(value) : "—",
        reason: describeNirProblem(checked.problem),
      });
      continue;
    }
    if (seen.has(checked.nir)) {
      rejects.push({ line: record.line, nir: maskNir(checked.nir), reason: "NIR en double dans le fichier" });
      continue;
    }
    let at: Date | null = null;
    if (format.dateColumn !== null) {
      const dateCell = record.cells[format.dateColumn];
      const serial = typeof dateCell === "number" ? excelNumberProblem(dateCell, "une date attendue") : null;
      if (serial) {
        rejects.push({ line: record.line, nir: maskNir(checked.nir), reason: serial });
        continue;
      }
      const parsed = parseReceivedDay(dateCell);
      if (parsed === "invalid") {
        rejects.push({
          line: record.line,
          nir: maskNir(checked.nir),
          reason: "date de réception invalide (JJ/MM/AAAA attendu)",
        });
        continue;
      }
      // Compared as days in Paris: a form dated today is not in the future, whatever the hour.
      if (parsed && parsed > today) {
        rejects.push({
          line: record.line,
          nir: maskNir(checked.nir),
          reason: "date de réception dans le futur",
        });
        continue;
      }
      // Noon Paris that day: the instant recorded for a form received on that date.
      at = parsed ? parisInstant(parsed, "12:00:00") : null;
    }
    seen.add(checked.nir);
    lines.push({ line: record.line, nir: checked.nir, at });
  }
  return { ok: true, format, lines, rejects };
}
