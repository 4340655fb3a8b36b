import { type Aggregation, addMonths } from "./catalogue";

/** A monthly value (YYYY-MM). */
export interface MonthValue {
  period: string;
  value: number;
}

export interface LinearTrend {
  /** Value at x = 0 (the first month of the fitted window). */
  intercept: number;
  /** Change per month. */
  slope: number;
  /** The month at x = 0. */
  origin: string;
  /** Months used for the fit, oldest first. */
  window: string[];
}

/** Ordinary least squares of y over x = 0…n−1. One point: flat line; none: null. */
export function leastSquares(values: number[]): { intercept: number; slope: number } | null {
  const n = values.length;
  if (n === 0) return null;
  if (n === 1) return { intercept: values[0], slope: 0 };
  const meanX = (n - 1) / 2;
  const meanY = values.reduce((a, b) => a + b, 0) / n;
  let sxy = 0;
  let sxx = 0;
  for (let i = 0; i < n; i++) {
    sxy += (i - meanX) * (values[i] - meanY);
    sxx += (i - meanX) ** 2;
  }
  const slope = sxy / sxx;
  return { intercept: meanY - slope * meanX, slope };
}

export const TREND_MONTHS = 12;

/**
 * The trend of the last 12 months with data, up to `asOf` included. Months are taken as they are
 * (x = months since the window's first month), so a missing month does not bend the line.
 */
export function trendOfLastMonths(
  series: MonthValue[],
  asOf: string,
  months = TREND_MONTHS,
): LinearTrend | null {
  const start = addMonths(asOf, -(months - 1));
  const window = series
    .filter((p) => p.period >= start && p.period <= asOf)
    .sort((a, b) => a.period.localeCompare(b.period));
  if (window.length === 0) return null;
  const xs = window.map((p) => monthsBetween(start, p.period));
  const n = window.length;
  const meanX = xs.reduce((a, b) => a + b, 0) / n;
  const meanY = window.reduce((a, p) => a + p.value, 0) / n;
  let sxy = 0;
  let sxx = 0;
  for (let i = 0; i < n; i++) {
    sxy += (xs[i] - meanX) * (window[i].value - meanY);
    sxx += (xs[i] - meanX) ** 2;
  }
  const slope = sxx === 0 ? 0 : sxy / sxx;
  return { intercept: meanY - slope * meanX, slope, origin: start, window: window.map((p) => p.period) };
}

export function monthsBetween(from: string, to: string): number {
  const [fy, fm] = from.split("-").map(Number);
  const [ty, tm] = to.split("-").map(Number);
  return (ty - fy) * 12 + (tm - fm);
}

/** The trend's value for a month (never below zero: a figure cannot go negative). */
export function trendValue(trend: LinearTrend, period: string): number {
  return Math.max(0, trend.intercept + trend.slope * monthsBetween(trend.origin, period));
}

export interface YearProjection {
  year: number;
  /** Observed so far (sum of the year's months, or the last observed month for a stock). */
  actual: number | null;
  /** Projected value at year end (null when the year is closed or no trend exists). */
  projected: number | null;
  /** Months of the year already observed. */
  observedMonths: number;
  /** Monthly points of the projection (for the trajectory line), after `asOf`. */
  path: MonthValue[];
}

/**
 * Year-end value of an indicator: observed months as they are, later months from the linear trend.
 * For a flow (`sum`) the year is the sum of its months; for a stock or a rate (`last`) its December.
 */
export function projectYear(
  series: MonthValue[],
  year: number,
  asOf: string,
  aggregation: Aggregation,
  trend: LinearTrend | null,
): YearProjection {
  const yearly = series.filter((p) => p.period.startsWith(`${year}-`) && p.period <= asOf);
  const observedMonths = yearly.length;
  const actual =
    observedMonths === 0
      ? null
      : aggregation === "sum"
        ? yearly.reduce((a, p) => a + p.value, 0)
        : [...yearly].sort((a, b) => a.period.localeCompare(b.period))[observedMonths - 1].value;
  const december = `${year}-12`;
  if (december <= asOf || !trend) return { year, actual, projected: null, observedMonths, path: [] };
  const first = `${year}-01` > asOf ? `${year}-01` : addMonths(asOf, 1);
  const path: MonthValue[] = [];
  for (let p = first; p <= december; p = addMonths(p, 1))
    path.push({ period: p, value: trendValue(trend, p) });
  const projected =
    aggregation === "sum"
      ? (actual ?? 0) + path.reduce((a, p) => a + p.value, 0)
      : path[path.length - 1].value;
  return { year, actual, projected, observedMonths, path };
}

export const PROJECTION_METHOD =
  "Projection : droite des moindres carrés ajustée sur les 12 derniers mois observés (valeur mensuelle = a + b × mois), " +
  "prolongée jusqu'à décembre ; pour un flux, total de l'année = mois observés + mois projetés ; pour un stock ou un taux, " +
  "valeur projetée en décembre. Une valeur projetée n'est jamais négative.";
