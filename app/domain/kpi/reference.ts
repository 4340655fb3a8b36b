import { KPI, monthRange } from "./catalogue";
import { formatMonthFr } from "./format";

/**
 * The published roadmap figures (rows of kpi_reference, seeded by migration 2026_12_07_1640_kpi_reference)
 * and where every series shown comes from. Pure: the dashboard, the CSV export and the PDF read the same.
 */
export type ReferenceNature = "figure" | "goal";

export interface ReferenceSource {
  publisher: string;
  title: string;
  /** As published; null when the document could not be found again (said so on screen). */
  url: string | null;
  /** YYYY-MM or YYYY-MM-DD, null when unknown. */
  publishedOn: string | null;
}

export interface ReferencePoint {
  id: number;
  indicatorCode: string;
  nature: ReferenceNature;
  kind: "published" | "demo";
  /** First and last months covered (YYYY-MM); both null for a yearly goal with no date. */
  from: string | null;
  to: string | null;
  periodLabel: string;
  breakdown: string;
  value: number;
  source: ReferenceSource;
  note: string;
}

/** Where a series shown comes from. */
export type SeriesKind = "published" | "computed" | "received" | "demo";

export const KIND_LABELS: Record<SeriesKind, string> = {
  published: "publié",
  computed: "calculé par mes-ops",
  received: "transmis (fichier ou API)",
  demo: "démo",
};

/** The kinds of a series from the sources of its observations (kpi_observation.source), demo first. */
export function kindsOfSources(sources: Iterable<string>): SeriesKind[] {
  const set = new Set(sources);
  const kinds: SeriesKind[] = [];
  if (set.has("demo")) kinds.push("demo");
  if (set.has("campaign")) kinds.push("computed");
  if (set.has("upload") || set.has("cli") || set.has("api")) kinds.push("received");
  return kinds;
}

/** A series label with its provenance when it is demo data: « Cumul des activations (démo) ». */
export function labelWithKind(label: string, kinds: SeriesKind[]): string {
  return kinds.includes("demo") ? `${label} (démo)` : label;
}

export function formatPublishedOn(value: string | null): string {
  if (!value) return "date non relevée";
  const month = formatMonthFr(value.slice(0, 7));
  return value.length === 10 ? `${Number(value.slice(8, 10))} ${month}` : month;
}

/** One line naming a point's source: « Publisher, « title », publié le 30 janvier 2026 ». */
export function sourceText(source: ReferenceSource): string {
  const on = source.publishedOn;
  const date = !on ? "date non relevée" : `publié ${on.length === 10 ? "le" : "en"} ${formatPublishedOn(on)}`;
  return `${source.publisher}, « ${source.title} », ${date}`;
}

/** A national monthly value of one indicator and breakdown value, with the sources of its rows. */
export interface NationalValue {
  period: string;
  breakdown: string;
  value: number;
  sources: string[];
}

export type NationalSeries = Record<string, NationalValue[]>;

interface Measured {
  value: number | null;
  kinds: SeriesKind[];
}

function sumOver(series: NationalValue[] | undefined, from: string, to: string, breakdown: string): Measured {
  const months = new Set(monthRange(from, to));
  const rows = (series ?? []).filter(
    (r) => months.has(r.period) && (breakdown === "" || r.breakdown === breakdown),
  );
  const covered = new Set(rows.map((r) => r.period));
  // A sum over part of the span would read as the span's figure: no figure rather than a wrong one.
  if (covered.size < months.size)
    return { value: null, kinds: kindsOfSources(rows.flatMap((r) => r.sources)) };
  return {
    value: rows.reduce((a, r) => a + r.value, 0),
    kinds: kindsOfSources(rows.flatMap((r) => r.sources)),
  };
}

/**
 * The same measure as a published figure, from the figures this installation holds (the campaign's own,
 * received or demo): documents summed over the figure's months; activated spaces as the running total of
 * the campaign's activations to the figure's month; the opposition rate as oppositions over notifications
 * in the figure's months. Null when the months are not all there (or for a goal, which is not measured).
 */
export function measureHere(point: ReferencePoint, series: NationalSeries): Measured {
  if (point.nature === "goal" || !point.from || !point.to) return { value: null, kinds: [] };
  switch (point.indicatorCode) {
    case KPI.documents:
      return sumOver(series[KPI.documents], point.from, point.to, point.breakdown);
    case KPI.spacesActivated: {
      const to = point.to;
      const rows = (series[KPI.activated] ?? []).filter((r) => r.period <= to);
      if (!rows.some((r) => r.period === to)) return { value: null, kinds: [] };
      return {
        value: rows.reduce((a, r) => a + r.value, 0),
        kinds: kindsOfSources(rows.flatMap((r) => r.sources)),
      };
    }
    case KPI.oppositionRate: {
      const opposed = sumOver(series[KPI.opposed], point.from, point.to, "");
      const notified = sumOver(series[KPI.notified], point.from, point.to, "");
      if (opposed.value === null || !notified.value) return { value: null, kinds: [] };
      return {
        value: (100 * opposed.value) / notified.value,
        kinds: [...new Set([...opposed.kinds, ...notified.kinds])],
      };
    }
    default:
      return { value: null, kinds: [] };
  }
}

/** The four Ségur sector targets (documents a year), by document source code. */
export function sectorTargets(points: ReferencePoint[]): Map<string, ReferencePoint> {
  return new Map(
    points
      .filter((p) => p.indicatorCode === KPI.documents && p.nature === "goal" && p.breakdown !== "")
      .map((p) => [p.breakdown, p]),
  );
}

export interface SectorRow {
  code: string;
  label: string;
  /** Documents of that sector over the twelve months of the window. */
  value: number | null;
  target: number | null;
  /** value / target, in % (null without a target or a value). */
  attainment: number | null;
}

/**
 * Documents by producer sector over the twelve months ending at `asOf` (the sector targets are yearly),
 * against the Ségur targets. A sector with a missing month has no value (not a partial sum).
 */
export function sectorsAgainstTargets(
  series: NationalValue[] | undefined,
  sectors: Array<{ code: string; label: string }>,
  targets: Map<string, ReferencePoint>,
  window: { from: string; to: string },
): { rows: SectorRow[]; kinds: SeriesKind[] } {
  const kinds = new Set<SeriesKind>();
  const rows = sectors.map((s) => {
    const measured = sumOver(series, window.from, window.to, s.code);
    for (const k of measured.kinds) kinds.add(k);
    const target = targets.get(s.code)?.value ?? null;
    return {
      code: s.code,
      label: s.label,
      value: measured.value,
      target,
      attainment: measured.value !== null && target ? (100 * measured.value) / target : null,
    };
  });
  return { rows, kinds: [...kinds] };
}

export interface DepartmentActivation {
  department: string;
  /** Persons notified at least once (the funnel's « Notifiés (total) »). */
  notified: number;
  /** Persons whose space is activated now. */
  activated: number;
  /** activated / notified in %, null when nobody was notified. */
  rate: number | null;
}

/** Activation rate per department and for the whole country, sorted by department number. */
export function departmentActivation(
  rows: Array<{ department: string; notified: number; activated: number }>,
  order: string[],
): { rows: DepartmentActivation[]; national: DepartmentActivation } {
  const rank = new Map(order.map((d, i) => [d, i]));
  const withRate = (department: string, notified: number, activated: number): DepartmentActivation => ({
    department,
    notified,
    activated,
    rate: notified > 0 ? (100 * activated) / notified : null,
  });
  const sorted = rows
    .filter((r) => r.notified > 0)
    .sort(
      (a, b) =>
        (rank.get(a.department) ?? 999) - (rank.get(b.department) ?? 999) ||
        a.department.localeCompare(b.department),
    )
    .map((r) => withRate(r.department, r.notified, r.activated));
  const national = withRate(
    "",
    sorted.reduce((a, r) => a + r.notified, 0),
    sorted.reduce((a, r) => a + r.activated, 0),
  );
  return { rows: sorted, national };
}
