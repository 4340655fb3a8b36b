import ExcelJS from "exceljs";

/**
 * The first sheet of an Excel workbook (.xlsx), read with exceljs (the ecosystem's maintained reader and
 * writer of Office Open XML; SheetJS's npm package is years behind its own releases, read-excel-file reads
 * fewer cell types). The files read this way are small (paper opposition lists, KPI figures: 5 MB at most),
 * so the workbook is loaded whole rather than through exceljs's streaming reader: that one reads a sheet as
 * soon as its entry comes in the archive, and LibreOffice writes `xl/styles.xml` after the sheets, so every
 * date cell of a LibreOffice workbook would come out as a bare number (test/integration/file-formats.test.ts
 * shows both). A national roll is not read from a workbook at all (rolls/roll-file.ts says why).
 *
 * Cells come as Excel stores them: text, numbers, and dates for date-formatted cells (as the calendar
 * date they show, at 00:00 UTC: Excel dates have no time zone). Formulas give their cached result.
 */
export type SheetCell = string | number | Date | null;

export interface SheetRow {
  /** The row's number in Excel (1 for the first row), as the user sees it. */
  line: number;
  cells: SheetCell[];
}

export type FirstSheet = { ok: true; sheetName: string; rows: SheetRow[] } | { ok: false; message: string };

function cellOf(value: ExcelJS.CellValue | undefined): SheetCell {
  if (value == null) return null;
  if (typeof value === "string" || typeof value === "number") return value;
  if (typeof value === "boolean") return value ? "VRAI" : "FAUX";
  if (value instanceof Date) return value;
  if ("richText" in value) return value.richText.map((r) => r.text).join("");
  if ("error" in value) return value.error;
  if ("formula" in value || "sharedFormula" in value) return cellOf(value.result as ExcelJS.CellValue);
  if ("text" in value) return typeof value.text === "string" ? value.text : cellOf(value.text);
  return null;
}

export async function readFirstSheet(bytes: Buffer, options: { maxRows?: number } = {}): Promise<FirstSheet> {
  const workbook = new ExcelJS.Workbook();
  try {
    await workbook.xlsx.load(bytes as unknown as ArrayBuffer);
  } catch (error) {
    return {
      ok: false,
      message: `classeur Excel illisible (${error instanceof Error ? error.message : String(error)})`,
    };
  }
  // The workbook's first tab, in the workbook's own order.
  const sheet = workbook.worksheets[0];
  if (!sheet) return { ok: false, message: "classeur Excel sans feuille de calcul" };
  if (options.maxRows !== undefined && sheet.actualRowCount > options.maxRows)
    return {
      ok: false,
      message: `classeur trop long : plus de ${options.maxRows} lignes (feuille « ${sheet.name} »)`,
    };
  const rows: SheetRow[] = [];
  sheet.eachRow({ includeEmpty: false }, (row, rowNumber) => {
    // Array.from fills the holes a sparse row leaves (cells never written) with nulls.
    const values = Array.from(row.values as ExcelJS.CellValue[], cellOf).slice(1);
    if (values.every((v) => v === null || (typeof v === "string" && v.trim() === ""))) return;
    rows.push({ line: rowNumber, cells: values });
  });
  return { ok: true, sheetName: sheet.name, rows };
}
