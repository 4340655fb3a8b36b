import type { IndicatorUnit } from "./catalogue";
import { formatCsvNumber, formatNumberFr, formatPercentFr } from "./format";

/** Counts below this are never shown (small-cell suppression), at the finest breakdown displayed. */
export const SMALL_CELL_THRESHOLD = 10;
export const SUPPRESSED_LABEL = "< 10";

export interface Cell {
  /** The value a chart may draw: null when suppressed or missing. */
  value: number | null;
  /** The text a table, the CSV or the PDF shows. */
  text: string;
  suppressed: boolean;
}

export type CellFormat = "display" | "csv";

/**
 * The one suppression rule, used by the UI, the CSV export and the PDF: a count (unit `count`) below 10 is
 * replaced by « < 10 » and not drawn; percentages are rates, not counts, and are shown as they are.
 */
export function presentCell(
  value: number | null | undefined,
  unit: IndicatorUnit,
  format: CellFormat = "display",
): Cell {
  if (value === null || value === undefined || !Number.isFinite(value)) {
    return { value: null, text: format === "csv" ? "" : "–", suppressed: false };
  }
  if (unit === "count" && value < SMALL_CELL_THRESHOLD) {
    return { value: null, text: SUPPRESSED_LABEL, suppressed: true };
  }
  if (format === "csv")
    return { value, text: formatCsvNumber(value, unit === "percent" ? 1 : 0), suppressed: false };
  return {
    value,
    text: unit === "percent" ? formatPercentFr(value) : formatNumberFr(value),
    suppressed: false,
  };
}
