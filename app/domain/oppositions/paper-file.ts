import { type Delimiter, detectDelimiter } from "../files/delimiter";
import { sniffEncoding, type TextEncoding, UTF8_BOM_LENGTH } from "../files/text-encoding";
import { checkNir, describeNirProblem, maskNir } from "../persons/nir";
import { normaliseHeader, ROLL_COLUMNS } from "../rolls/columns";
import { CsvRecordSplitter } from "../rolls/csv-records";

/**
 * A file of paper opposition forms: one NIR a line (header optional), optionally the date the form was
 * received. Same reading rules as rolls — UTF-8 or Windows-1252, with or without BOM, `;` `,` or tab,
 * quoted fields, CRLF — through the file reader's encoding and delimiter detection (app/domain/files) and
 * the rolls context's splitter.
 */
export interface PaperFormat {
  encoding: TextEncoding;
  hasBom: boolean;
  delimiter: Delimiter;
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

/** A BOM settles UTF-8 (a byte after it that is not reads as U+FFFD); else UTF-8 or Windows-1252. */
function decode(bytes: Buffer): { text: string; encoding: PaperFormat["encoding"]; hasBom: boolean } {
  const { encoding, hasBom } = sniffEncoding(bytes);
  const text = new TextDecoder(encoding).decode(hasBom ? bytes.subarray(UTF8_BOM_LENGTH) : bytes);
  return { text, encoding, hasBom };
}

/** `12/02/2022` or `2022-02-12` → noon Paris that day (a received date, not an instant). */
function parseReceivedDate(value: string): Date | null | "invalid" {
  const v = value.trim();
  if (!v) return null;
  const fr = /^(\d{2})\/(\d{2})\/(\d{4})$/.exec(v);
  const iso = fr ? `${fr[3]}-${fr[2]}-${fr[1]}` : /^\d{4}-\d{2}-\d{2}$/.test(v) ? v : null;
  if (!iso) return "invalid";
  const d = new Date(`${iso}T12:00:00+01:00`);
  return Number.isNaN(d.getTime()) || d.toISOString().slice(0, 10) !== iso ? "invalid" : d;
}

export function readPaperFile(bytes: Buffer, now = new Date()): PaperFile {
  const { text, encoding, hasBom } = decode(bytes);
  const firstLine = (/^\s*([^\n]*)/.exec(text)?.[1] ?? "").replace(/\r$/, "");
  if (firstLine.trim() === "") return { ok: false, message: "fichier vide : aucune ligne" };
  const delimiter = detectDelimiter(firstLine);
  const records: Array<{ fields: string[]; line: number; raw: string }> = [];
  const splitter = new CsvRecordSplitter(delimiter);
  const sink = (fields: string[], line: number, raw: string) => records.push({ fields, line, raw });
  splitter.push(text.endsWith("\n") ? text : `${text}\n`, sink);
  const tail = splitter.end(sink);
  if (tail?.unterminatedQuote) {
    return { ok: false, message: `ligne ${tail.line} : guillemet non refermé, fichier tronqué ?` };
  }
  const header = records[0]?.fields.map((h) => normaliseHeader(h)) ?? [];
  const headerNir = header.findIndex((h) => NIR_ALIASES.has(h));
  const hasHeader = headerNir >= 0 || !checkNir(records[0]?.fields[0] ?? "").ok;
  if (hasHeader && headerNir < 0) {
    return {
      ok: false,
      message: "ligne 1 : colonne NIR introuvable (en-tête attendu « NIR » ou « N° de sécurité sociale »)",
    };
  }
  const nirColumn = hasHeader ? headerNir : 0;
  const dateIndex = hasHeader
    ? header.findIndex((h) => DATE_ALIASES.has(h))
    : records[0]?.fields.length > 1
      ? 1
      : -1;
  const format: PaperFormat = {
    encoding,
    hasBom,
    delimiter,
    hasHeader,
    nirColumn,
    dateColumn: dateIndex >= 0 ? dateIndex : null,
  };
  const lines: PaperLine[] = [];
  const rejects: PaperReject[] = [];
  const seen = new Set<string>();
  for (const record of hasHeader ? records.slice(1) : records) {
    const value = record.fields[nirColumn] ?? "";
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
      const parsed = parseReceivedDate(record.fields[format.dateColumn] ?? "");
      if (parsed === "invalid") {
        rejects.push({
          line: record.line,
          nir: maskNir(checked.nir),
          reason: "date de réception invalide (JJ/MM/AAAA attendu)",
        });
        continue;
      }
      if (parsed && parsed.getTime() > now.getTime()) {
        rejects.push({
          line: record.line,
          nir: maskNir(checked.nir),
          reason: "date de réception dans le futur",
        });
        continue;
      }
      at = parsed;
    }
    seen.add(checked.nir);
    lines.push({ line: record.line, nir: checked.nir, at });
  }
  return { ok: true, format, lines, rejects };
}
