import { createHash } from "node:crypto";
import { createReadStream, statSync } from "node:fs";
import { open } from "node:fs/promises";
import { CsvRecordSplitter } from "../files/csv-records";
import { type Delimiter, detectDelimiter } from "../files/delimiter";
import { sniffFileKind, wrongKindMessage } from "../files/file-kind";
import { createStreamDecoder, sniffEncoding, type TextEncoding } from "../files/text-encoding";
import { EncodingError, Utf8RecordReader } from "./byte-records";
import { type ColumnMap, mapHeader } from "./columns";
import { RowBytes } from "./row-bytes";
import {
  type CheckedChunk,
  emptyChunk,
  finishChunk,
  RowChecker,
  type RowTarget,
  STAGING_TARGET,
} from "./row-checker";

/** What the importer found out about a file before loading anything (stated on the roll page). */
export interface RollFormat {
  encoding: TextEncoding;
  hasBom: boolean;
  delimiter: Delimiter;
  lineEnding: "CRLF" | "LF";
  header: string[];
  columns: ColumnMap;
  ignoredColumns: string[];
}

export type FormatCheck = { ok: true; format: RollFormat } | { ok: false; message: string };

const SNIFF_BYTES = 4 * 1024 * 1024;

/**
 * Rolls are not read from workbooks: a national roll is far past Excel's 1 048 576 rows, and exceljs's
 * streaming reader keeps a workbook's whole shared-string table (every distinct name and address) in memory,
 * so the roll's memory bound would not hold.
 */
const XLSX_ROLL_REFUSAL =
  "ce fichier est un classeur Excel (.xlsx) : un rôle s'importe au format CSV (un rôle national dépasse la limite d'Excel de 1 048 576 lignes). Dans Excel : Fichier › Enregistrer sous › « CSV UTF-8 (délimité par des virgules) », puis envoyez ce fichier";
/** Bytes decoded at a time: at most 64 KB of UTF-16 text, under V8's large-object threshold. */
const DECODE_PIECE = 32 * 1024;

/**
 * Kind (files/file-kind.ts): a workbook, a PDF, an archive… is refused for what it is. Encoding
 * (files/text-encoding.ts): a UTF-16 byte order mark (Excel's « Texte Unicode ») means UTF-16; a UTF-8 BOM,
 * or the first MBs decoding as strict UTF-8, means UTF-8; anything else is taken as Windows-1252 (the
 * legacy systems' encoding). Delimiter (files/delimiter.ts): the most frequent of `;` `,` tab in the header
 * line. A header lacking a required column refuses the file here, before any row is read.
 */
export async function inspectRollFile(path: string): Promise<FormatCheck> {
  const handle = await open(path, "r");
  let head: Buffer;
  try {
    const buf = Buffer.alloc(SNIFF_BYTES);
    const { bytesRead } = await handle.read(buf, 0, SNIFF_BYTES, 0);
    head = buf.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
  if (head.length === 0) return { ok: false, message: "fichier vide : aucun en-tête ni aucune ligne" };
  const kind = sniffFileKind(head);
  if (kind.kind === "xlsx") return { ok: false, message: XLSX_ROLL_REFUSAL };
  if (kind.kind === "other") return { ok: false, message: wrongKindMessage(kind, "un rôle au format CSV") };
  // The first MBs only: a character cut at their end is not held against UTF-8.
  const { encoding, hasBom } = sniffEncoding(head, { partial: true });
  const text = createStreamDecoder(encoding).write(head);
  const firstLine = /^[\s]*([^\n]*)(\n?)/.exec(text);
  const headerLine = (firstLine?.[1] ?? "").replace(/\r$/, "");
  if (headerLine.trim() === "") return { ok: false, message: "fichier vide : aucun en-tête ni aucune ligne" };
  const lineEnding = /\r\n/.test(text.slice(0, 65536)) ? "CRLF" : "LF";
  const delimiter = detectDelimiter(headerLine);
  const splitter = new CsvRecordSplitter(delimiter);
  let header: string[] = [];
  splitter.push(`${headerLine}\n`, (fields) => {
    header = fields.map((h) => h.trim());
  });
  const mapped = mapHeader(header);
  if (!mapped.ok) return { ok: false, message: mapped.message };
  return {
    ok: true,
    format: {
      encoding,
      hasBom,
      delimiter,
      lineEnding,
      header,
      columns: mapped.columns,
      ignoredColumns: mapped.ignored,
    },
  };
}

export interface CheckedFileChunk extends CheckedChunk {
  bytes: number;
  rows: number;
  parseMs: number;
  validateMs: number;
}

export interface CheckedFileEnd {
  sha256: string;
  bytes: number;
  rows: number;
  lines: number;
  /** First load: the persons written, by department (empty for a staging table). */
  departments: Record<string, number>;
  /** Staging: the lines that may repeat an earlier NIR (RowChecker.duplicateCandidates). */
  duplicateCandidates: number[] | null;
}

export { EncodingError };

/**
 * Reads, decodes, splits and validates a roll file chunk by chunk: memory stays bounded by the chunk size
 * whatever the file size. Yields COPY text; returns the file's SHA-256 and totals.
 *
 * A UTF-8 file is read from its bytes (Utf8RecordReader), most rows checked and written by the byte path
 * (RowBytes) and the others by the string path; a Windows-1252 or UTF-16 file, or `bytePath: false` (the
 * tests that compare both), is decoded and split as text.
 */
export async function* checkRollFile(
  path: string,
  format: RollFormat,
  rollId: number,
  target: RowTarget = STAGING_TARGET,
  { bytePath = true }: { bytePath?: boolean } = {},
): AsyncGenerator<CheckedFileChunk, CheckedFileEnd> {
  const hash = createHash("sha256");
  const decoder = createStreamDecoder(format.encoding, { fatal: format.encoding === "utf-8" });
  const splitter = new CsvRecordSplitter(format.delimiter);
  // Rows are rarely under 60 bytes: an upper estimate of their number, to size the filter of NIRs seen.
  const checker = new RowChecker(
    format.columns,
    format.header.length,
    rollId,
    target,
    statSync(path).size / 60,
  );
  let headerSeen = false;
  let bytes = 0;
  let rows = 0;
  let out = emptyChunk();
  let chunkRows = 0;
  let validateMs = 0;
  let tail = false;
  // Validation time is sampled (one record in 32) so that timing does not cost more than it measures.
  const sink = (fields: string[], line: number, raw: string) => {
    if (!headerSeen) {
      headerSeen = true;
      return;
    }
    chunkRows++;
    if ((chunkRows & 31) === 0) {
      const t = performance.now();
      checker.check(fields, line, raw, out, tail);
      validateMs += (performance.now() - t) * 32;
    } else checker.check(fields, line, raw, out, tail);
  };
  let reader: Utf8RecordReader | null = null;
  if (bytePath && format.encoding === "utf-8") {
    const rows = new RowBytes(checker, format.columns, format.header.length, format.delimiter, target);
    // The header is the first record: until it is read, every line goes to the sink.
    reader = new Utf8RecordReader(
      splitter,
      format.delimiter,
      (b, start, end, line) => {
        if (!headerSeen) return false;
        // Sampled like the sink's checks (one row in 32).
        const sampled = (chunkRows & 31) === 31;
        const t = sampled ? performance.now() : 0;
        const done = rows.row(b, start, end, line, out);
        if (sampled) validateMs += (performance.now() - t) * 32;
        if (done) chunkRows++;
        return done;
      },
      sink,
      format.hasBom,
    );
  }
  const emit = (byteCount: number, started: number): CheckedFileChunk => {
    const total = performance.now() - started;
    const v = Math.min(validateMs, total);
    const chunk = {
      ...finishChunk(out),
      bytes: byteCount,
      rows: chunkRows,
      parseMs: total - v,
      validateMs: v,
    };
    rows += chunkRows;
    out = emptyChunk(out.staging);
    chunkRows = 0;
    validateMs = 0;
    return chunk;
  };
  const stream = createReadStream(path, { highWaterMark: 262144 });
  for await (const buf of stream as AsyncIterable<Buffer>) {
    hash.update(buf);
    const started = performance.now();
    if (reader) {
      reader.push(buf);
      bytes += buf.length;
      yield emit(buf.length, started);
      continue;
    }
    // Decoded and split in pieces: the text of a whole chunk would be a large object for V8 (over 128 KB),
    // allocated and freed outside the young generation, at a cost of page faults that exceeded the decoding.
    for (let at = 0; at < buf.length; at += DECODE_PIECE) {
      let text: string;
      try {
        text = decoder.write(buf.subarray(at, at + DECODE_PIECE));
      } catch {
        throw new EncodingError(
          `encodage incohérent : le début du fichier est en UTF-8 mais l'octet ${bytes + 1} et suivants ne le sont pas (fichier mélangeant UTF-8 et Windows-1252 ?)`,
        );
      }
      splitter.push(text, sink);
    }
    bytes += buf.length;
    yield emit(buf.length, started);
  }
  const started = performance.now();
  const rest = reader ? "" : decoder.end();
  if (rest) splitter.push(rest, sink);
  // A last record without final newline and with too few fields is the file cut short.
  tail = true;
  const cut = reader ? reader.end() : splitter.end(sink);
  if (cut && headerSeen) {
    checker.truncated(out, { line: cut.line, raw: cut.raw }, null);
    chunkRows++;
  }
  yield emit(0, started);
  return {
    sha256: hash.digest("hex"),
    bytes,
    rows,
    lines: splitter.linesSeen,
    departments: checker.writtenByDepartment(),
    duplicateCandidates: checker.duplicateCandidates(),
  };
}
