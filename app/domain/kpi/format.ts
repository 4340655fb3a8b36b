import { frenchDecimal } from "../../../reports/csv/french-decimal";
import { formatFrenchDateTime } from "../lifecycle/paris-time";

/**
 * French formatting for the UI, the CSV and the PDF. Intl's fr-FR output uses U+202F (narrow no-break
 * space) as the thousands separator; we use U+00A0 everywhere instead, which every font of the PDF has.
 */
const NBSP = "\u00a0";

const MONTHS = [
  "janvier",
  "février",
  "mars",
  "avril",
  "mai",
  "juin",
  "juillet",
  "août",
  "septembre",
  "octobre",
  "novembre",
  "décembre",
];
const SHORT_MONTHS = [
  "janv.",
  "févr.",
  "mars",
  "avr.",
  "mai",
  "juin",
  "juil.",
  "août",
  "sept.",
  "oct.",
  "nov.",
  "déc.",
];

function groupThousands(digits: string): string {
  return digits.replace(/\B(?=(\d{3})+(?!\d))/g, NBSP);
}

/** "1 234 567" / "12,5" with a fixed number of decimals (trailing zeros kept when decimals > 0). */
export function formatNumberFr(value: number, decimals = 0): string {
  if (!Number.isFinite(value)) return "–";
  const fixed = Math.abs(value).toFixed(decimals);
  const [int, frac] = fixed.split(".");
  const sign = value < 0 && Number(fixed) !== 0 ? "-" : "";
  return `${sign}${groupThousands(int)}${frac ? `,${frac}` : ""}`;
}

/** "45,2 %" */
export function formatPercentFr(value: number, decimals = 1): string {
  return `${formatNumberFr(value, decimals)}${NBSP}%`;
}

/** Axis labels: "250 M", "1,2 Md", "35 k". */
export function formatCompactFr(value: number): string {
  const abs = Math.abs(value);
  if (abs >= 1e9) return `${formatNumberFr(value / 1e9, abs >= 1e10 ? 0 : 1)}${NBSP}Md`;
  if (abs >= 1e6) return `${formatNumberFr(value / 1e6, abs >= 1e7 ? 0 : 1)}${NBSP}M`;
  if (abs >= 1e3) return `${formatNumberFr(value / 1e3, abs >= 1e4 ? 0 : 1)}${NBSP}k`;
  return formatNumberFr(value, Number.isInteger(value) ? 0 : 1);
}

/** CSV cells for French Excel: decimal comma, no thousands separator, no signed zero (the one writer's rule). */
export function formatCsvNumber(value: number, decimals?: number): string {
  return frenchDecimal(value, decimals);
}

/** "2024-03" → "mars 2024" */
export function formatMonthFr(period: string): string {
  const [y, m] = period.split("-").map(Number);
  return `${MONTHS[m - 1]} ${y}`;
}

/** "2024-03" → "mars 24" (chart axes) */
export function formatMonthShortFr(period: string): string {
  const [y, m] = period.split("-").map(Number);
  return `${SHORT_MONTHS[m - 1]} ${String(y).slice(2)}`;
}

/**
 * Parses a figure as people type it: "1234", "1 234 567", "12,5", "12.5", "1.234,5" is refused (ambiguous).
 * Returns null for anything that is not a plain decimal number.
 */
export function parseFrenchNumber(raw: string): number | null {
  const text = raw.trim().replace(/[\s\u00a0\u202f]/g, "");
  if (!/^-?\d+([.,]\d+)?$/.test(text)) return null;
  const value = Number(text.replace(",", "."));
  return Number.isFinite(value) ? value : null;
}

/** "1er novembre 2026 à 06:00" (Paris time): when a report was produced. */
export function formatGeneratedAtFr(at: Date): string {
  return formatFrenchDateTime(at);
}
