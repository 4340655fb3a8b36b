import { addMonths, type Indicator, KPI, type Target } from "./catalogue";
import {
  type LinearTrend,
  type MonthValue,
  PROJECTION_METHOD,
  projectYear,
  trendOfLastMonths,
  trendValue,
} from "./projection";
import {
  type DepartmentActivation,
  departmentActivation,
  KIND_LABELS,
  kindsOfSources,
  measureHere,
  type NationalSeries,
  type ReferencePoint,
  type SectorRow,
  type SeriesKind,
  sectorsAgainstTargets,
  sectorTargets,
} from "./reference";
import {
  attainment,
  isMonthComplete,
  lastCompleteMonth,
  monthInProgressNote,
  STATUS_RULE,
  type TargetStatus,
  targetStatus,
} from "./status";

/** What the ministry viewer filters the dashboard by (empty string = all). */
export interface DashboardFilters {
  from: string;
  to: string;
  breakdown: string;
  department: string;
}

/** Plain data read from the database (series already summed for the filters). */
export interface DashboardInput {
  /** The Paris month in progress (YYYY-MM): the months before it are complete, it is not. */
  today: string;
  indicators: Indicator[];
  targets: Target[];
  series: Record<string, MonthValue[]>;
  filters: DashboardFilters;
  helplineAvailable: boolean;
  departments: string[];
  /** Where the campaign figures shown come from (kpi_observation.source: `demo`, `campaign`, …). */
  campaignSources?: string[];
  /** Published figures and goals (kpi_reference). */
  references?: ReferencePoint[];
  /** National monthly values by breakdown from the first month (reference.server.ts loadNationalSeries). */
  national?: NationalSeries;
  /** Sources of each indicator's figures in the range (kpi_observation.source). */
  sourcesByIndicator?: Record<string, string[]>;
  /** Notified and activated persons per department (funnel_current). */
  departmentFunnel?: Array<{ department: string; notified: number; activated: number }>;
}

/** A published figure with the same measure from this installation's figures. */
export interface ReferenceRow extends ReferencePoint {
  here: number | null;
  hereKinds: SeriesKind[];
}

export interface YearRow {
  year: number;
  /** The published figure of that calendar year, if any. */
  published: number | null;
  actual: number | null;
  projected: number | null;
  target: number | null;
  status: TargetStatus | null;
}

export interface KeyFigure {
  code: string;
  label: string;
  unit: Indicator["unit"];
  value: number | null;
  period: string | null;
  target: number | null;
  targetYear: number | null;
  projected: number | null;
  attainment: number | null;
  status: TargetStatus | null;
}

export interface DashboardModel {
  filters: DashboardFilters;
  today: string;
  indicators: Indicator[];
  departments: string[];
  documents: {
    asOf: string | null;
    breakdownLabel: string | null;
    years: YearRow[];
    trajectory: Array<{ period: string; cumulative: number | null; projected: number | null }>;
    trajectoryYear: number;
    trajectoryTarget: number | null;
    trend: LinearTrend | null;
  };
  doctors: {
    monthly: Array<{ period: string; value: number | null; projected: number | null }>;
    target: number | null;
    targetYear: number | null;
  };
  vendors: {
    breakdownLabel: string | null;
    monthly: Array<{
      period: string;
      referenced: number | null;
      inProgress: number | null;
      total: number | null;
    }>;
    target: number | null;
    targetYear: number | null;
  };
  funnel: {
    monthly: Array<{
      period: string;
      notified: number | null;
      activated: number | null;
      opposed: number | null;
      autoCreated: number | null;
      closed: number | null;
    }>;
  };
  helpline: { available: boolean; monthly: Array<{ period: string; cases: number | null }> };
  reference: ReferenceRow[];
  /** Activated spaces: the running total of the campaign's activations, the published stock, the goal. */
  activatedStock: {
    monthly: Array<{
      period: string;
      cumulative: number | null;
      published: number | null;
      goal: number | null;
    }>;
    kinds: SeriesKind[];
    /** Published points are national: not drawn next to one department's figures. */
    publishedShown: boolean;
  };
  sectors: { window: { from: string; to: string } | null; rows: SectorRow[]; kinds: SeriesKind[] };
  connections: {
    monthly: Array<{ period: string; web: number | null; app: number | null; total: number | null }>;
    kinds: SeriesKind[];
  };
  departmentActivation: { rows: DepartmentActivation[]; national: DepartmentActivation };
  /** Kinds of the figures behind each main series (for the « démo » labels). */
  kinds: Record<string, SeriesKind[]>;
  keyFigures: KeyFigure[];
  /** The month in progress when the range reaches it (its figures are partial), else null. */
  inProgress: string | null;
  notes: {
    projection: string;
    status: string;
    suppression: string;
    /** Set when the range reaches the month in progress. */
    inProgress: string | null;
    /** What the campaign figures count and where they come from (null without campaign figures). */
    campaignSource: string | null;
    /** How to read the campaign's monthly figures (flows, not a cohort). */
    campaignFlows: string;
    sources: string[];
    /** Which series are published, computed by mes-ops, received, demo. */
    provenance: string[];
  };
}

export const CAMPAIGN_CODES = [KPI.notified, KPI.activated, KPI.opposed, KPI.autoCreated, KPI.closed];

export const CAMPAIGN_FLOWS_NOTE =
  "Chaque mois compte les passages du mois : les activations comprennent celles d'espaces créés les mois ou " +
  "les années précédents (le stock d'espaces activés progresse ainsi de 23 M en octobre 2025 à 24 M en janvier " +
  "2026), elles peuvent donc dépasser les notifications du mois, qui ne touchent plus que les nouveaux assurés.";

/** What the campaign figures shown count and where they come from, from the sources of their rows. */
export function campaignSourceNote(sources: string[]): string | null {
  const parts: string[] = [];
  if (sources.includes("demo"))
    parts.push(
      "Campagne de déploiement : séries nationales de démonstration (générées, aux ordres de grandeur des " +
        "chiffres publiés : environ 65 millions d'assurés notifiés en février–mars 2022), et non les assurés " +
        "enregistrés dans cette base — l'entonnoir de la campagne compte ceux-là.",
    );
  if (sources.some((s) => s !== "demo"))
    parts.push(
      `${parts.length > 0 ? "Mois sans démonstration" : "Campagne de déploiement"} : calculés chaque nuit par ` +
        "mes-ops à partir des assurés enregistrés dans cette base (les mêmes que l'entonnoir de la campagne), " +
        "par mois de Paris et par département.",
    );
  return parts.length > 0 ? parts.join(" ") : null;
}

export const SUPPRESSION_NOTE =
  "Secret statistique : tout effectif inférieur à 10 au niveau de détail affiché est remplacé par « < 10 ».";

function targetFor(targets: Target[], code: string, year: number): number | null {
  return targets.find((t) => t.indicatorCode === code && t.year === year)?.value ?? null;
}

/** The latest target year of an indicator, at or after `year` (the one the roadmap is judged on). */
function nextTarget(targets: Target[], code: string, year: number): Target | null {
  return (
    targets
      .filter((t) => t.indicatorCode === code && t.year >= year)
      .sort((a, b) => a.year - b.year)
      .at(-1) ?? null
  );
}

function valueAt(series: MonthValue[] | undefined, period: string): number | null {
  return series?.find((p) => p.period === period)?.value ?? null;
}

function lastObserved(series: MonthValue[] | undefined, upTo: string): MonthValue | null {
  const inRange = (series ?? []).filter((p) => p.period <= upTo);
  if (inRange.length === 0) return null;
  return inRange.reduce((a, b) => (a.period > b.period ? a : b));
}

function months(from: string, to: string): string[] {
  const out: string[] = [];
  for (let p = from; p <= to; p = addMonths(p, 1)) out.push(p);
  return out;
}

/** Builds every series the dashboard, the CSV export and the PDF report show, from plain inputs. */
export function buildDashboard(input: DashboardInput): DashboardModel {
  const { filters, series, targets, indicators } = input;
  const byCode = new Map(indicators.map((i) => [i.code, i]));
  const range = months(filters.from, filters.to);
  // Trends, projections and a year's close stop at the last complete month: the month in progress is partial.
  const upTo = isMonthComplete(filters.to, input.today) ? filters.to : lastCompleteMonth(input.today);
  const monthInProgress = isMonthComplete(filters.to, input.today) ? null : input.today;
  // A breakdown value selects part of an indicator: its targets are for the whole, so they are not shown.
  const breakdownOf = (code: string) =>
    byCode.get(code)?.breakdowns.some((b) => b.code === filters.breakdown);
  const targetsFor = (code: string) => (breakdownOf(code) ? [] : targets);

  // Documents: yearly bars, target line, year-to-date trajectory and projection.
  const docs = series[KPI.documents] ?? [];
  const docsAsOf = lastObserved(docs, upTo)?.period ?? null;
  const docsTrend = docsAsOf ? trendOfLastMonths(docs, docsAsOf) : null;
  const docTargets = targetsFor(KPI.documents);
  const fromYear = Number(filters.from.slice(0, 4));
  const lastTargetYear = Math.max(
    0,
    ...docTargets.filter((t) => t.indicatorCode === KPI.documents).map((t) => t.year),
  );
  const toYear = Math.max(Number(filters.to.slice(0, 4)), lastTargetYear);
  const years: YearRow[] = [];
  for (let year = fromYear; year <= toYear; year++) {
    const projection = docsAsOf ? projectYear(docs, year, docsAsOf, "sum", docsTrend) : null;
    const target = targetFor(docTargets, KPI.documents, year);
    const judged = projection?.projected ?? projection?.actual ?? null;
    const published =
      breakdownOf(KPI.documents) || !input.references
        ? null
        : (input.references.find(
            (r) =>
              r.indicatorCode === KPI.documents &&
              r.nature === "figure" &&
              r.breakdown === "" &&
              r.from === `${year}-01` &&
              r.to === `${year}-12`,
          )?.value ?? null);
    years.push({
      year,
      published,
      actual: projection?.actual ?? null,
      projected: projection?.projected ?? null,
      target,
      status: targetStatus(judged, target),
    });
  }
  const trajectoryYear = Number((docsAsOf ?? filters.to).slice(0, 4));
  const trajectory: DashboardModel["documents"]["trajectory"] = [];
  let cumulative = 0;
  for (const period of months(`${trajectoryYear}-01`, `${trajectoryYear}-12`)) {
    if (docsAsOf && period <= docsAsOf) {
      cumulative += valueAt(docs, period) ?? 0;
      trajectory.push({ period, cumulative, projected: period === docsAsOf ? cumulative : null });
    } else if (docsTrend) {
      cumulative += trendValue(docsTrend, period);
      trajectory.push({ period, cumulative: null, projected: cumulative });
    } else trajectory.push({ period, cumulative: null, projected: null });
  }

  // Doctors consulting daily (%): monthly, with the trend prolonged to the target year.
  const doctors = series[KPI.doctorsPct] ?? [];
  const doctorsTarget = nextTarget(targets, KPI.doctorsPct, Number(filters.to.slice(0, 4)));
  const doctorsAsOf = lastObserved(doctors, upTo)?.period ?? null;
  const doctorsTrend = doctorsAsOf ? trendOfLastMonths(doctors, doctorsAsOf) : null;
  const doctorsEnd = doctorsTarget ? `${doctorsTarget.year}-12` : filters.to;
  const doctorsMonthly = months(filters.from, doctorsEnd > filters.to ? doctorsEnd : filters.to).map(
    (period) => ({
      period,
      value: period <= filters.to ? valueAt(doctors, period) : null,
      projected:
        doctorsTrend && doctorsAsOf && period >= doctorsAsOf
          ? period === doctorsAsOf
            ? valueAt(doctors, period)
            : trendValue(doctorsTrend, period)
          : null,
    }),
  );

  // Ségur vendors: referenced and in progress (stacked), total.
  const referenced = series[KPI.vendorsReferenced] ?? [];
  const inProgress = series[KPI.vendorsInProgress] ?? [];
  const vendorsMonthly = range.map((period) => {
    const r = valueAt(referenced, period);
    const p = valueAt(inProgress, period);
    return {
      period,
      referenced: r,
      inProgress: p,
      total: r === null && p === null ? null : (r ?? 0) + (p ?? 0),
    };
  });
  const vendorsTarget = breakdownOf(KPI.vendorsReferenced)
    ? null
    : nextTarget(targets, KPI.vendorsReferenced, Number(filters.to.slice(0, 4)));

  const funnelMonthly = range.map((period) => ({
    period,
    notified: valueAt(series[KPI.notified], period),
    activated: valueAt(series[KPI.activated], period),
    opposed: valueAt(series[KPI.opposed], period),
    autoCreated: valueAt(series[KPI.autoCreated], period),
    closed: valueAt(series[KPI.closed], period),
  }));

  const keyFigures: KeyFigure[] = [];
  const docsYear = years.find((y) => y.year === trajectoryYear);
  const docsGoal = nextTarget(docTargets, KPI.documents, trajectoryYear);
  const docsGoalRow = years.find((y) => y.year === docsGoal?.year);
  const docsGoalValue = docsGoalRow ? (docsGoalRow.projected ?? docsGoalRow.actual) : null;
  keyFigures.push({
    code: KPI.documents,
    label: `${byCode.get(KPI.documents)?.label ?? "Documents"} (${trajectoryYear}, cumul)`,
    unit: "count",
    value: docsYear?.actual ?? null,
    period: docsAsOf,
    target: docsGoal?.value ?? null,
    targetYear: docsGoal?.year ?? null,
    projected: docsGoalValue,
    attainment: attainment(docsGoalValue, docsGoal?.value ?? null),
    status: targetStatus(docsGoalValue, docsGoal?.value ?? null),
  });
  const stockFigure = (code: string, s: MonthValue[], goal: Target | null): KeyFigure => {
    const last = lastObserved(s, upTo);
    const trend = last ? trendOfLastMonths(s, last.period) : null;
    const projected = goal && last ? projectYear(s, goal.year, last.period, "last", trend) : null;
    const judged = projected?.projected ?? projected?.actual ?? null;
    return {
      code,
      label: byCode.get(code)?.label ?? code,
      unit: byCode.get(code)?.unit ?? "count",
      value: last?.value ?? null,
      period: last?.period ?? null,
      target: goal?.value ?? null,
      targetYear: goal?.year ?? null,
      projected: judged,
      attainment: attainment(judged, goal?.value ?? null),
      status: targetStatus(judged, goal?.value ?? null),
    };
  };
  keyFigures.push(stockFigure(KPI.doctorsPct, doctors, doctorsTarget));
  keyFigures.push(stockFigure(KPI.vendorsReferenced, referenced, vendorsTarget));
  for (const code of [KPI.notified, KPI.activated, KPI.opposed, KPI.autoCreated]) {
    const total = (series[code] ?? [])
      .filter((p) => p.period >= filters.from && p.period <= filters.to)
      .reduce((a, p) => a + p.value, 0);
    keyFigures.push({
      code,
      label: `${byCode.get(code)?.label ?? code} (sur la période)`,
      unit: "count",
      value: total,
      period: filters.to,
      target: null,
      targetYear: null,
      projected: null,
      attainment: null,
      status: null,
    });
  }

  const campaignSources = input.campaignSources ?? [];
  const demoOnly = campaignSources.length > 0 && campaignSources.every((s) => s === "demo");
  const campaignCodes: string[] = CAMPAIGN_CODES;
  const sources = indicators
    .filter((i) => i.sourceNote && (i.code !== KPI.helplineCases || input.helplineAvailable))
    .map((i) =>
      // The catalogue's note says how mes-ops computes them; the demo's series are not computed.
      demoOnly && campaignCodes.includes(i.code)
        ? `${i.label} : série nationale de démonstration (générée), pas les assurés de cette base.`
        : `${i.label} : ${i.sourceNote}`,
    );
  if (!input.helplineAvailable)
    sources.push("Dossiers 34 22 : non disponibles (module 34 22 absent de cette installation).");

  const references = input.references ?? [];
  const national = input.national ?? {};
  const sourcesOf = (code: string) => kindsOfSources(input.sourcesByIndicator?.[code] ?? []);
  const reference: ReferenceRow[] = references.map((p) => {
    const here = measureHere(p, national);
    return { ...p, here: here.value, hereKinds: here.kinds };
  });

  // Activated spaces: the campaign's running total next to the published stock and the goal.
  const stockRefs = references.filter((r) => r.indicatorCode === KPI.spacesActivated && r.to);
  const publishedShown = filters.department === "";
  const goalEnd = publishedShown
    ? (stockRefs
        .filter((r) => r.nature === "goal")
        .map((r) => r.to ?? "")
        .sort()
        .at(-1) ?? filters.to)
    : filters.to;
  const activations = national[KPI.activated] ?? [];
  const stockMonthly = months(filters.from, goalEnd > filters.to ? goalEnd : filters.to).map((period) => {
    const upToHere = activations.filter((r) => r.period <= period);
    const at = (nature: "figure" | "goal") =>
      publishedShown ? (stockRefs.find((r) => r.nature === nature && r.to === period)?.value ?? null) : null;
    return {
      period,
      cumulative:
        period <= filters.to && upToHere.some((r) => r.period === period)
          ? upToHere.reduce((a, r) => a + r.value, 0)
          : null,
      published: at("figure"),
      goal: at("goal"),
    };
  });

  // Documents by producer sector over the last twelve complete months, against the Ségur targets.
  const docsIndicator = byCode.get(KPI.documents);
  const sectorWindow = docsAsOf ? { from: addMonths(docsAsOf, -11), to: docsAsOf } : null;
  const sectors = sectorWindow
    ? sectorsAgainstTargets(
        national[KPI.documents],
        docsIndicator?.breakdowns ?? [],
        sectorTargets(references),
        sectorWindow,
      )
    : { rows: [], kinds: [] };

  const connectionRows = national[KPI.connections] ?? [];
  const connectionsMonthly = range.map((period) => {
    const of = (channel: string) =>
      connectionRows.find((r) => r.period === period && r.breakdown === channel)?.value ?? null;
    const web = of("web");
    const app = of("app");
    return { period, web, app, total: web === null && app === null ? null : (web ?? 0) + (app ?? 0) };
  });
  const connectionsKinds = kindsOfSources(
    connectionRows.filter((r) => r.period >= filters.from).flatMap((r) => r.sources),
  );

  const kinds: Record<string, SeriesKind[]> = {};
  for (const code of [
    KPI.documents,
    KPI.doctorsPct,
    KPI.vendorsReferenced,
    KPI.helplineCases,
    ...CAMPAIGN_CODES,
  ])
    kinds[code] = sourcesOf(code);
  const stockKinds = kindsOfSources(activations.flatMap((r) => r.sources));
  const provenance = provenanceNotes({
    "Documents déposés (par mois)": kinds[KPI.documents],
    "Documents par secteur producteur": sectors.kinds,
    "Médecins consultant un profil chaque jour": kinds[KPI.doctorsPct],
    "Éditeurs Ségur": kinds[KPI.vendorsReferenced],
    "Campagne : parcours des assurés": kinds[KPI.notified],
    "Espaces activés (cumul des activations)": stockKinds,
    "Connexions par mois (web / application)": connectionsKinds,
    "Dossiers 34 22": input.helplineAvailable ? kinds[KPI.helplineCases] : [],
  });

  return {
    filters,
    today: input.today,
    indicators,
    reference,
    activatedStock: { monthly: stockMonthly, kinds: stockKinds, publishedShown },
    sectors: { window: sectorWindow, rows: sectors.rows, kinds: sectors.kinds },
    connections: { monthly: connectionsMonthly, kinds: connectionsKinds },
    departmentActivation: departmentActivation(input.departmentFunnel ?? [], input.departments),
    kinds,
    departments: input.departments,
    documents: {
      asOf: docsAsOf,
      breakdownLabel: breakdownOf(KPI.documents)
        ? (byCode.get(KPI.documents)?.breakdowns.find((b) => b.code === filters.breakdown)?.label ?? null)
        : null,
      years,
      trajectory,
      trajectoryYear,
      trajectoryTarget: targetFor(docTargets, KPI.documents, trajectoryYear),
      trend: docsTrend,
    },
    doctors: {
      monthly: doctorsMonthly,
      target: doctorsTarget?.value ?? null,
      targetYear: doctorsTarget?.year ?? null,
    },
    vendors: {
      breakdownLabel: breakdownOf(KPI.vendorsReferenced)
        ? (byCode.get(KPI.vendorsReferenced)?.breakdowns.find((b) => b.code === filters.breakdown)?.label ??
          null)
        : null,
      monthly: vendorsMonthly,
      target: vendorsTarget?.value ?? null,
      targetYear: vendorsTarget?.year ?? null,
    },
    funnel: { monthly: funnelMonthly },
    helpline: {
      available: input.helplineAvailable,
      monthly: range.map((period) => ({ period, cases: valueAt(series[KPI.helplineCases], period) })),
    },
    keyFigures,
    inProgress: monthInProgress,
    notes: {
      projection: PROJECTION_METHOD,
      status: STATUS_RULE,
      suppression: SUPPRESSION_NOTE,
      inProgress: monthInProgress ? monthInProgressNote(monthInProgress) : null,
      campaignSource: campaignSourceNote(campaignSources),
      campaignFlows: CAMPAIGN_FLOWS_NOTE,
      sources,
      provenance,
    },
  };
}

/**
 * The notice saying which series are published, computed by mes-ops, received from partners, or demo:
 * published figures first (always, they are seeded), then one line per kind naming its series.
 */
export function provenanceNotes(series: Record<string, SeriesKind[]>): string[] {
  const lines = [
    "Publiés : chiffres officiels (marqueurs ◆ sur les graphiques), chacun avec sa source et sa date dans le " +
      "tableau « Chiffres publiés ».",
  ];
  const describe: Array<[SeriesKind, string]> = [
    ["computed", "à partir des assurés enregistrés dans cette base"],
    ["received", "envoyés par les partenaires"],
    ["demo", "séries générées là où aucun chiffre public n'existe, ou réparties sous un total publié"],
  ];
  for (const [kind, what] of describe) {
    const names = Object.entries(series)
      .filter(([, kinds]) => kinds.includes(kind))
      .map(([name]) => name);
    if (names.length > 0)
      lines.push(
        `${KIND_LABELS[kind][0].toUpperCase()}${KIND_LABELS[kind].slice(1)} (${what}) : ${names.join(", ")}.`,
      );
  }
  return lines;
}
