import { CsvRecordSplitter } from "./csv-records";
import { type Delimiter, detectDelimiter } from "./delimiter";
import { excelNumberMessage, isExcelScientific } from "./excel-values";
import { sniffFileKind, wrongKindMessage } from "./file-kind";
import { readFirstSheet, type SheetCell } from "./spreadsheet.server";
import {
  decodeText,
  ENCODING_LABELS,
  type SniffOptions,
  sniffEncoding,
  type TextEncoding,
} from "./text-encoding";

/**
 * The one file reader of the small importers (paper opposition lists, KPI figures): a CSV or text export
 * in any encoding the sniffer knows, or the first sheet of an Excel workbook, as records of cells with the
 * line the user sees (the file's physical line, or the sheet's row number). Anything else is refused with
 * what it is. A roll, which may be far larger, is streamed by the rolls context over the same sniffers.
 */
export type TableCell = SheetCell;

export interface TableRecord {
  line: number;
  /** CSV cells are text; a workbook's are text, numbers or dates, as Excel stored them. */
  cells: TableCell[];
}

export type TableFormat =
  | { kind: "csv"; encoding: TextEncoding; hasBom: boolean; delimiter: Delimiter }
  | { kind: "xlsx"; sheetName: string };

export type TableFile =
  | { ok: true; format: TableFormat; records: TableRecord[] }
  | { ok: false; message: string };

export interface TableFileOptions {
  /** What the importer expected, for the refusal of another kind of file ("une liste CSV"). */
  expected: string;
  encoding?: SniffOptions;
  /** Workbooks longer than this are refused (the small importers' files are small). */
  maxRows?: number;
}

const EMPTY = "fichier vide : aucune ligne";

export async function readTableFile(bytes: Buffer, options: TableFileOptions): Promise<TableFile> {
  if (bytes.length === 0) return { ok: false, message: EMPTY };
  const kind = sniffFileKind(bytes.subarray(0, 65536));
  if (kind.kind === "other") return { ok: false, message: wrongKindMessage(kind, options.expected) };
  if (kind.kind === "xlsx") {
    const sheet = await readFirstSheet(bytes, { maxRows: options.maxRows });
    if (!sheet.ok) return sheet;
    if (sheet.rows.length === 0) return { ok: false, message: `${EMPTY} (feuille « ${sheet.sheetName} »)` };
    return {
      ok: true,
      format: { kind: "xlsx", sheetName: sheet.sheetName },
      records: sheet.rows.map((r) => ({ line: r.line, cells: r.cells })),
    };
  }
  const { encoding, hasBom } = sniffEncoding(bytes, options.encoding);
  const text = decodeText(bytes, encoding);
  const firstLine = (/^\s*([^\n]*)/.exec(text)?.[1] ?? "").replace(/\r$/, "");
  if (firstLine.trim() === "") return { ok: false, message: EMPTY };
  const delimiter = detectDelimiter(firstLine);
  const records: TableRecord[] = [];
  const splitter = new CsvRecordSplitter(delimiter);
  const sink = (fields: string[], line: number) => records.push({ line, cells: fields });
  splitter.push(text.endsWith("\n") ? text : `${text}\n`, sink);
  const tail = splitter.end(sink);
  if (tail?.unterminatedQuote)
    return { ok: false, message: `ligne ${tail.line} : guillemet non refermé, fichier tronqué ?` };
  return { ok: true, format: { kind: "csv", encoding, hasBom, delimiter }, records };
}

/** What the importer assumed about the file, as the result page states it. */
export function describeTableFormat(format: TableFormat): string {
  if (format.kind === "xlsx") return `classeur Excel (.xlsx), feuille « ${format.sheetName} »`;
  const delimiter = format.delimiter === "\t" ? "tabulation" : `« ${format.delimiter} »`;
  return `encodage ${ENCODING_LABELS[format.encoding]}${format.hasBom ? " avec BOM" : ""}, séparateur ${delimiter}`;
}

/** A cell as text, as the CSV importers read it (numbers as Excel shows them in French, dates JJ/MM/AAAA). */
export function cellText(cell: TableCell | undefined): string {
  if (cell == null) return "";
  if (typeof cell === "string") return cell;
  if (cell instanceof Date) {
    const iso = cell.toISOString();
    return `${iso.slice(8, 10)}/${iso.slice(5, 7)}/${iso.slice(0, 4)}`;
  }
  return String(cell).replace(".", ",");
}

/** A workbook's numeric cell where text was meant (a NIR, a date), or a CSV cell such as `1,85057E+14`. */
export function excelNumberProblem(cell: TableCell | undefined, expected: string): string | null {
  if (typeof cell === "number") return excelNumberMessage(cellText(cell), expected);
  if (typeof cell === "string" && isExcelScientific(cell)) return excelNumberMessage(cell, expected);
  return null;
}
