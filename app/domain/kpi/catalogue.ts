/** The KPI catalogue as the domain sees it (rows of kpi_indicator and kpi_target). */
export type IndicatorUnit = "count" | "percent";
export type Aggregation = "sum" | "last";

export interface BreakdownValue {
  code: string;
  label: string;
}

export interface Indicator {
  code: string;
  label: string;
  unit: IndicatorUnit;
  periodicity: "month";
  aggregation: Aggregation;
  breakdownLabel: string | null;
  breakdowns: BreakdownValue[];
  byDepartment: boolean;
  /** Computed by mes-ops from its own database (campaign job); refused in files and API calls. */
  computed: boolean;
  sourceNote: string;
}

export interface Target {
  id: number;
  indicatorCode: string;
  year: number;
  value: number;
  note: string;
  createdAt: string;
  supersededAt: string | null;
}

/** The indicators the dashboard and the report are built around. */
export const KPI = {
  documents: "documents_deposited",
  doctorsPct: "doctors_daily_pct",
  vendorsReferenced: "vendors_referenced",
  vendorsInProgress: "vendors_in_progress",
  notified: "campaign_notified",
  activated: "campaign_activated",
  opposed: "campaign_opposed",
  autoCreated: "campaign_auto_created",
  closed: "campaign_closed",
  helplineCases: "helpline_cases",
  spacesActivated: "spaces_activated",
  oppositionRate: "opposition_rate",
  connections: "connections",
} as const;

/** Campaign event type (person_event.type) → computed indicator. */
export const CAMPAIGN_EVENT_INDICATORS: Record<string, string> = {
  notify: KPI.notified,
  activate: KPI.activated,
  oppose: KPI.opposed,
  auto_create: KPI.autoCreated,
  close: KPI.closed,
};

export const UNIT_LABELS: Record<IndicatorUnit, string> = { count: "nombre", percent: "%" };

/** Accepted spellings of a unit in files and API calls. */
export function parseUnit(raw: string): IndicatorUnit | null {
  const u = raw.trim().toLowerCase();
  if (["count", "nombre", "nb", "n"].includes(u)) return "count";
  if (["percent", "%", "pourcentage", "pct"].includes(u)) return "percent";
  return null;
}

/** A YYYY-MM period, validated (months 01–12, years 2000–2100). */
export function parsePeriod(raw: string): string | null {
  const m = /^(\d{4})-(\d{2})$/.exec(raw.trim());
  if (!m) return null;
  const year = Number(m[1]);
  const month = Number(m[2]);
  if (year < 2000 || year > 2100 || month < 1 || month > 12) return null;
  return `${m[1]}-${m[2]}`;
}

/** Months from `from` to `to` inclusive, as YYYY-MM. */
export function monthRange(from: string, to: string): string[] {
  const out: string[] = [];
  let [y, m] = from.split("-").map(Number);
  const [ty, tm] = to.split("-").map(Number);
  while (y < ty || (y === ty && m <= tm)) {
    out.push(`${y}-${String(m).padStart(2, "0")}`);
    m++;
    if (m > 12) {
      m = 1;
      y++;
    }
  }
  return out;
}

export function addMonths(period: string, months: number): string {
  const [y, m] = period.split("-").map(Number);
  const index = y * 12 + (m - 1) + months;
  return `${Math.floor(index / 12)}-${String((index % 12) + 1).padStart(2, "0")}`;
}

/** Department codes as the person table holds them: 01–95, 2A, 2B, 971–976. */
export function isDepartmentCode(raw: string): boolean {
  return /^(0[1-9]|1\d|2[1-9]|[3-8]\d|9[0-5]|2A|2B|97[1-6])$/.test(raw);
}

/** Every department code, in the order people expect (01…19, 2A, 2B, 21…95, 971…976). */
export const DEPARTMENTS: string[] = [
  ...Array.from({ length: 19 }, (_, i) => String(i + 1).padStart(2, "0")),
  "2A",
  "2B",
  ...Array.from({ length: 75 }, (_, i) => String(i + 21)),
  ...Array.from({ length: 6 }, (_, i) => String(971 + i)),
];
