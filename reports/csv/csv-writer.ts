import { stringify } from "csv-stringify/sync";
import { frenchDecimal } from "./french-decimal";

export { frenchDecimal };

/**
 * The one CSV writer of every export (rejects, print manifests, funnel, KPI tables, audit): csv-stringify
 * (the csv-parse project's writer) with its formula neutraliser on. A text cell that begins with `=`, `+`,
 * `-`, `@`, tab or CR — a name such as `=HYPERLINK("http://x";"clic")` from a roll — would be run by Excel
 * as a formula: it is written with a leading `'` (OWASP's advice), which Excel shows as text. Numbers are
 * written as numbers (decimal comma, never neutralised: `-3,5` stays a number), and a value that rounds to
 * zero has no sign (`-0,04` to one decimal is `0,0`, not `-0,0`).
 */
export type CsvCell = string | number | null | undefined | CsvNumber;

/** A number written with a fixed number of decimals (`csvNumber(12.345, 1)` → `12,3`). */
export interface CsvNumber {
  csvNumber: number;
  decimals: number;
}

export function csvNumber(value: number, decimals: number): CsvNumber {
  return { csvNumber: value, decimals };
}

export interface CsvDialect {
  delimiter: ";" | "," | "\t";
  eol: "\r\n" | "\n";
}

/** What French Excel opens as is: `;`, CRLF (with a UTF-8 BOM, see csvDocument). */
export const FRENCH_EXCEL: CsvDialect = { delimiter: ";", eol: "\r\n" };

const isCsvNumber = (v: unknown): v is CsvNumber =>
  typeof v === "object" && v !== null && "csvNumber" in v && typeof v.csvNumber === "number";

/** Records to CSV text (no BOM): for files in another encoding, or streamed page by page. */
export function csvRecords(rows: CsvCell[][], dialect: CsvDialect = FRENCH_EXCEL): string {
  return stringify(rows, {
    delimiter: dialect.delimiter,
    record_delimiter: dialect.eol === "\r\n" ? "windows" : "unix",
    // Line breaks inside a cell (an address on two lines) are quoted whatever the record delimiter.
    quote_record_delimiter: true,
    escape_formulas: true,
    cast: {
      number: (value) => frenchDecimal(value),
      object: (value) =>
        isCsvNumber(value)
          ? // A number of ours, already a number: its minus sign is no formula.
            { value: frenchDecimal(value.csvNumber, value.decimals), escape_formulas: false, quoted: false }
          : JSON.stringify(value),
    },
  });
}

/** A whole UTF-8 CSV document as French Excel opens it: BOM, then the records. */
export function csvDocument(rows: CsvCell[][], dialect: CsvDialect = FRENCH_EXCEL): string {
  return `\uFEFF${csvRecords(rows, dialect)}`;
}
