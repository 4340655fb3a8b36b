import type { DB } from "../../../db/connection";
import { type CsvCell, type CsvDialect, csvRecords } from "../../../reports/csv/csv-writer";
import { CsvRecordSplitter } from "../files/csv-records";
import type { Delimiter } from "../files/delimiter";
import { encodeText, type TextEncoding } from "../files/text-encoding";
import { reasonLabel } from "./reasons";

/** The byte order mark the rejects file starts with, in the sender's encoding (none for Windows-1252). */
const BOMS: Record<TextEncoding, number[]> = {
  "utf-8": [0xef, 0xbb, 0xbf],
  "windows-1252": [],
  "utf-16le": [0xff, 0xfe],
  "utf-16be": [0xfe, 0xff],
};

/**
 * The refused rows as a CSV the sender can fix and send back: in the file's own encoding and delimiter,
 * columns `ligne`, `champ`, `motif`, then the original header and the original values of the row. The
 * values go through the one CSV writer, so a cell of the roll that Excel would run as a formula comes back
 * neutralised. Streams in pages of 5 000 (keyset on the line), so a million rejects never sit in memory.
 */
export async function* rejectsCsv(db: DB, rollId: number): AsyncGenerator<Buffer> {
  const roll = await db
    .selectFrom("roll")
    .select(["encoding", "delimiter", "has_bom", "line_ending", "columns"])
    .where("id", "=", rollId)
    .executeTakeFirstOrThrow();
  const encoding = (roll.encoding ?? "utf-8") as TextEncoding;
  const dialect: CsvDialect = {
    delimiter: (roll.delimiter ?? ";") as Delimiter,
    eol: roll.line_ending === "CRLF" ? "\r\n" : "\n",
  };
  const header = ((roll.columns ?? {}) as { header?: string[] }).header ?? [];
  // A UTF-16 file without its mark would not open in Excel: it always gets one.
  if (roll.has_bom || encoding.startsWith("utf-16")) yield Buffer.from(BOMS[encoding]);
  yield encodeText(csvRecords([["ligne", "champ", "motif", ...header]], dialect), encoding);
  let after = 0;
  for (;;) {
    const page = await db
      .selectFrom("roll_reject")
      .select(["line", "field", "reason", "message", "raw"])
      .where("roll_id", "=", rollId)
      .where("severity", "=", "error")
      .where("line", ">", after)
      .orderBy("line")
      .limit(5000)
      .execute();
    const rows: CsvCell[][] = page.map((r) => [
      r.line,
      r.field ?? "",
      `${reasonLabel(r.reason)} : ${r.message}`,
      ...originalValues(r.raw ?? "", dialect.delimiter),
    ]);
    if (rows.length > 0) yield encodeText(csvRecords(rows, dialect), encoding);
    if (page.length < 5000) return;
    after = page[page.length - 1].line;
  }
}

/** The values of the original record (kept as its text, in the file's delimiter and quoting). */
function originalValues(raw: string, delimiter: Delimiter): string[] {
  if (raw === "") return [];
  let values: string[] = [];
  const splitter = new CsvRecordSplitter(delimiter);
  const sink = (fields: string[]) => {
    values = fields;
  };
  splitter.push(raw.endsWith("\n") ? raw : `${raw}\n`, sink);
  // A record cut short (a quote never closed) is given back whole, as one cell.
  return splitter.end(sink) ? [raw] : values;
}
