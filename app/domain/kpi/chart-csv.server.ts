import { type CsvCell, csvDocument, csvNumber } from "../../../reports/csv/csv-writer";
import type { ChartTable } from "./chart-tables";
import { presentCell } from "./suppression";

/**
 * A chart's table as CSV (`;`, decimal comma, CRLF, UTF-8 with BOM: opens as is in French Excel), through
 * the one writer. Figures are written as numbers; a suppressed count is its « < 10 » label, a missing one
 * an empty cell.
 */
export function chartCsv(table: ChartTable): string {
  const rows: CsvCell[][] = [[table.rowHeader, ...table.columns.map((c) => c.label)]];
  for (const row of table.rows) {
    rows.push([
      row.label,
      ...row.values.map((v, i): CsvCell => {
        const { unit } = table.columns[i];
        const cell = presentCell(v, unit, "csv");
        return cell.value === null ? cell.text : csvNumber(cell.value, unit === "percent" ? 1 : 0);
      }),
    ]);
  }
  return csvDocument(rows);
}
