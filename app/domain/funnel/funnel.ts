/** The funnel of the campaign, from rollups: pure shaping and rates (no I/O; the CSV is funnel-csv.server.ts). */
import { type CurrentUser, can } from "../auth/permissions";
import { formatNumberFr } from "../kpi/format";
import { type Cell, type CellFormat, presentCell } from "../kpi/suppression";

export const FUNNEL_STATES = ["notified", "activated", "opposed", "auto_created", "closed"] as const;
export type FunnelState = (typeof FUNNEL_STATES)[number];

export const FUNNEL_LABELS: Record<FunnelState | "reached" | "pending", string> = {
  reached: "Notifiés (total)",
  notified: "Dans la fenêtre",
  activated: "Activés",
  opposed: "Opposés",
  auto_created: "Créés automatiquement",
  closed: "Clôturés",
  pending: "En attente d'envoi",
};

export interface FunnelCounts {
  pending: number;
  /** Everyone who left `pending` (notified at least once, or opposed before any notification). */
  reached: number;
  notified: number;
  activated: number;
  opposed: number;
  auto_created: number;
  closed: number;
}

export interface FunnelRow extends FunnelCounts {
  department: string;
  waveId: number;
  waveName: string;
}

export interface FunnelDay {
  day: string;
  notified: number;
  activated: number;
  opposed: number;
  auto_created: number;
  closed: number;
}

export function emptyCounts(): FunnelCounts {
  return { pending: 0, reached: 0, notified: 0, activated: 0, opposed: 0, auto_created: 0, closed: 0 };
}

/** Adds one rollup cell (a state and its count) to counts. */
export function addState(counts: FunnelCounts, state: string, n: number): void {
  if (state === "pending") counts.pending += n;
  else {
    counts.reached += n;
    if ((FUNNEL_STATES as readonly string[]).includes(state)) counts[state as FunnelState] += n;
  }
}

export function sumCounts(rows: FunnelCounts[]): FunnelCounts {
  const total = emptyCounts();
  for (const r of rows) for (const k of Object.keys(total) as Array<keyof FunnelCounts>) total[k] += r[k];
  return total;
}

/** A share of the persons reached, or null when nobody was. */
export function rate(part: number, counts: Pick<FunnelCounts, "reached">): number | null {
  return counts.reached > 0 ? part / counts.reached : null;
}

export function formatRateFr(value: number | null): string {
  if (value === null) return "—";
  return `${(value * 100).toLocaleString("fr-FR", { minimumFractionDigits: 1, maximumFractionDigits: 1 })} %`;
}

/**
 * Who gets exact counts. Small-cell suppression (« < 10 », kpi/suppression.ts) keeps a person from being
 * singled out of an aggregate; it protects nothing from someone who may open the persons' files anyway
 * (`persons:read`: campaign staff, who operate the campaign, the helpline, admins), so they get exact
 * counts. Everyone else reads aggregates only (the ministry) and gets the rule, on the page, in the chart
 * data sent to the browser and in the CSV.
 */
export type FunnelAudience = "exact" | "suppressed";

export function funnelAudience(user: Pick<CurrentUser, "permissions">): FunnelAudience {
  return can(user, "persons:read") ? "exact" : "suppressed";
}

export const FUNNEL_COUNT_KEYS = [
  "reached",
  "notified",
  "activated",
  "opposed",
  "auto_created",
  "closed",
] as const;
export type FunnelCountKey = (typeof FUNNEL_COUNT_KEYS)[number];
export const FUNNEL_RATE_KEYS = ["activated", "opposed", "auto_created"] as const;
export type FunnelRateKey = (typeof FUNNEL_RATE_KEYS)[number];

/** A count as shown to an audience: the one suppression rule for the suppressed one. */
export function presentCount(value: number, audience: FunnelAudience, format: CellFormat = "display"): Cell {
  if (audience === "suppressed") return presentCell(value, "count", format);
  return {
    value,
    text: format === "csv" ? String(value) : formatNumberFr(value),
    suppressed: false,
  };
}

/**
 * A share of the persons reached, or null when nobody was — or, for the suppressed audience, when its part
 * or its base is a suppressed count (a rate over a base of 40 would give the hidden count back).
 */
export function presentedRate(
  part: number,
  counts: Pick<FunnelCounts, "reached">,
  audience: FunnelAudience,
): number | null {
  if (
    audience === "suppressed" &&
    (presentCell(part, "count").suppressed || presentCell(counts.reached, "count").suppressed)
  )
    return null;
  return rate(part, counts);
}

export interface FunnelRowView {
  department: string;
  waveId: number;
  waveName: string;
  cells: Record<FunnelCountKey, Cell>;
  rates: Record<FunnelRateKey, string>;
}

export interface FunnelDayView {
  day: string;
  cells: Record<FunnelState, Cell>;
}

export interface FunnelView {
  audience: FunnelAudience;
  totals: Record<FunnelCountKey, Cell>;
  /** Each total as a share of the persons reached (text), "reached" itself aside. */
  totalRates: Record<Exclude<FunnelCountKey, "reached">, string>;
  rows: FunnelRowView[];
  series: FunnelDayView[];
}

const countCells = (counts: FunnelCounts, audience: FunnelAudience) =>
  Object.fromEntries(FUNNEL_COUNT_KEYS.map((k) => [k, presentCount(counts[k], audience)])) as Record<
    FunnelCountKey,
    Cell
  >;

/** The funnel as an audience may see it: every count and rate already decided, nothing raw left. */
export function funnelView(
  model: { rows: FunnelRow[]; totals: FunnelCounts; series: FunnelDay[] },
  audience: FunnelAudience,
): FunnelView {
  const rateText = (part: number, counts: FunnelCounts) =>
    formatRateFr(presentedRate(part, counts, audience));
  return {
    audience,
    totals: countCells(model.totals, audience),
    totalRates: Object.fromEntries(
      FUNNEL_COUNT_KEYS.filter((k) => k !== "reached").map((k) => [
        k,
        rateText(model.totals[k], model.totals),
      ]),
    ) as FunnelView["totalRates"],
    rows: model.rows.map((r) => ({
      department: r.department,
      waveId: r.waveId,
      waveName: r.waveName,
      cells: countCells(r, audience),
      rates: Object.fromEntries(FUNNEL_RATE_KEYS.map((k) => [k, rateText(r[k], r)])) as Record<
        FunnelRateKey,
        string
      >,
    })),
    series: model.series.map((d) => ({
      day: d.day,
      cells: Object.fromEntries(FUNNEL_STATES.map((k) => [k, presentCount(d[k], audience)])) as Record<
        FunnelState,
        Cell
      >,
    })),
  };
}

export const FUNNEL_SUPPRESSION_NOTE =
  "Secret statistique : tout effectif inférieur à 10 est remplacé par « < 10 », et un taux calculé sur un tel effectif n'est pas affiché (—).";
export const FUNNEL_EXACT_NOTE =
  "Effectifs exacts : votre rôle donne accès aux dossiers des assurés. Hors de l'équipe de campagne, ces chiffres ne se diffusent qu'avec le secret statistique (« < 10 »), comme les voit le ministère.";
