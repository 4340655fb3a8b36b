/** The funnel of the campaign, from rollups: pure shaping and rates (no I/O; the CSV is funnel-csv.server.ts). */

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
