import { parisParts } from "../lifecycle/paris-time";
import { addMonths } from "./catalogue";
import { formatMonthFr } from "./format";

/** How an indicator stands against its target. */
export type TargetStatus = "on_track" | "at_risk" | "off_track";

export const AT_RISK_RATIO = 0.9;

export const STATUS_LABELS: Record<TargetStatus, string> = {
  on_track: "En bonne voie",
  at_risk: "À surveiller",
  off_track: "En retard",
};

export const STATUS_RULE =
  "Règle : valeur projetée (ou réalisée pour une année close) ≥ cible → en bonne voie ; " +
  "≥ 90 % de la cible → à surveiller ; en dessous → en retard.";

/** projection ≥ target → on track; ≥ 90 % of it → at risk; below → off track. Null without both. */
export function targetStatus(value: number | null, target: number | null): TargetStatus | null {
  if (value === null || target === null || !Number.isFinite(value) || !Number.isFinite(target)) return null;
  if (target <= 0) return "on_track";
  if (value >= target) return "on_track";
  if (value >= AT_RISK_RATIO * target) return "at_risk";
  return "off_track";
}

/** Share of the target reached (0.87 → 87 %), null without a target. */
export function attainment(value: number | null, target: number | null): number | null {
  if (value === null || target === null || target <= 0) return null;
  return value / target;
}

/** The Paris month in progress (YYYY-MM) at an instant. */
export function currentParisMonth(at = new Date()): string {
  const p = parisParts(at);
  return `${p.year}-${String(p.month).padStart(2, "0")}`;
}

/**
 * Whether a month's figures are complete: a month (YYYY-MM) is complete only once it has ended, Paris time —
 * strictly before `currentMonth`, the Paris month in progress (currentParisMonth). On 7 December, December
 * is not complete: its figures are partial, they neither feed a trend nor close a year.
 */
export function isMonthComplete(period: string, currentMonth: string): boolean {
  return period < currentMonth;
}

/** The last complete month before the month in progress. */
export function lastCompleteMonth(currentMonth: string): string {
  return addMonths(currentMonth, -1);
}

/** The sentence the dashboard and the report show when the figures reach the month in progress. */
export function monthInProgressNote(currentMonth: string): string {
  const month = formatMonthFr(currentMonth);
  return (
    `${month.charAt(0).toUpperCase()}${month.slice(1)} est en cours : ses chiffres sont provisoires, et les tendances, ` +
    `projections et bilans de l'année s'arrêtent au dernier mois terminé (${formatMonthFr(lastCompleteMonth(currentMonth))}).`
  );
}
