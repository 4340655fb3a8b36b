import { type IndicatorUnit, KPI } from "./catalogue";
import type { DashboardModel } from "./dashboard";
import { formatMonthFr } from "./format";
import { labelWithKind, type SeriesKind, sourceText } from "./reference";
import { type CellFormat, presentCell, SUPPRESSED_LABEL } from "./suppression";

/**
 * Every chart of the dashboard as a table: the UI draws and lists it, the CSV export writes it and the PDF
 * draws and prints it — all from these rows, through the same suppression rule.
 */
export interface ChartColumn {
  key: string;
  label: string;
  unit: IndicatorUnit;
  /** Drawn as markers, not a line: published figures and goals (a few points on a monthly axis). */
  marker?: boolean;
}

export interface ChartRow {
  key: string;
  label: string;
  values: Array<number | null>;
  /** Set by withheldTable: which values were suppressed (their value is then null). */
  suppressed?: boolean[];
}

export interface ChartTable {
  id: ChartId;
  title: string;
  /** Header of the first column (Mois, Année). */
  rowHeader: string;
  columns: ChartColumn[];
  rows: ChartRow[];
  note?: string;
  /** Where its figures come from (badges « publié », « démo », …). */
  kinds?: SeriesKind[];
  /** The source of the published points of a row (by row key), for tooltips and the PDF. */
  pointSources?: Record<string, string>;
  /** A table with no chart (the departments). */
  tableOnly?: boolean;
}

export const CHART_IDS = [
  "documents-years",
  "documents-trajectory",
  "doctors",
  "vendors",
  "documents-sectors",
  "activated-stock",
  "funnel",
  "departments",
  "connections",
  "helpline",
] as const;
export type ChartId = (typeof CHART_IDS)[number];

export function isChartId(value: string): value is ChartId {
  return (CHART_IDS as readonly string[]).includes(value);
}

const withPublished = (kinds: SeriesKind[] | undefined): SeriesKind[] => [
  "published",
  ...(kinds ?? []).filter((k) => k !== "published"),
];

export function chartTables(model: DashboardModel): ChartTable[] {
  const d = model.documents;
  const scope = d.breakdownLabel ? ` — ${d.breakdownLabel}` : "";
  const docKinds = model.kinds[KPI.documents] ?? [];
  const referenceSources = (indicator: string, keyOf: (to: string) => string) => {
    const out: Record<string, string> = {};
    for (const r of model.reference)
      if (r.indicatorCode === indicator && r.to && r.breakdown === "") {
        const key = keyOf(r.to);
        const line = `${r.nature === "goal" ? "Objectif" : "Chiffre publié"} (${r.periodLabel}) : ${sourceText(r.source)}`;
        out[key] = out[key] ? `${out[key]} ; ${line}` : line;
      }
    return out;
  };
  const tables: ChartTable[] = [
    {
      id: "documents-years",
      title: `Documents déposés par an${scope}`,
      rowHeader: "Année",
      columns: [
        { key: "actual", label: labelWithKind("Réalisé", docKinds), unit: "count" },
        { key: "projected", label: labelWithKind("Projection fin d'année", docKinds), unit: "count" },
        { key: "target", label: "Cible", unit: "count" },
        { key: "published", label: "Chiffre publié", unit: "count", marker: true },
      ],
      rows: d.years.map((y) => ({
        key: String(y.year),
        label: String(y.year),
        values: [y.actual, y.projected, y.target, y.published],
      })),
      kinds: d.breakdownLabel ? docKinds : withPublished(docKinds),
      pointSources: d.breakdownLabel
        ? {}
        : Object.fromEntries(
            Object.entries(referenceSources(KPI.documents, (to) => to.slice(0, 4))).filter(([year]) =>
              d.years.some((y) => String(y.year) === year && y.published !== null),
            ),
          ),
    },
    {
      id: "documents-trajectory",
      title: `Documents déposés en ${d.trajectoryYear} : cumul et projection${scope}`,
      rowHeader: "Mois",
      kinds: docKinds,
      columns: [
        { key: "cumulative", label: labelWithKind("Cumul réalisé", docKinds), unit: "count" },
        { key: "projected", label: "Cumul projeté", unit: "count" },
        { key: "target", label: "Cible annuelle", unit: "count" },
      ],
      rows: d.trajectory.map((p) => ({
        key: p.period,
        label: formatMonthFr(p.period),
        values: [p.cumulative, p.projected, d.trajectoryTarget],
      })),
    },
    {
      id: "doctors",
      title: "Médecins consultant un profil patient au moins une fois par jour",
      kinds: model.kinds[KPI.doctorsPct],
      rowHeader: "Mois",
      columns: [
        { key: "value", label: "Part observée", unit: "percent" },
        { key: "projected", label: "Tendance projetée", unit: "percent" },
        {
          key: "target",
          label: `Cible${model.doctors.targetYear ? ` ${model.doctors.targetYear}` : ""}`,
          unit: "percent",
        },
      ],
      rows: model.doctors.monthly.map((p) => ({
        key: p.period,
        label: formatMonthFr(p.period),
        values: [p.value, p.projected, model.doctors.target],
      })),
    },
    {
      id: "vendors",
      kinds: model.kinds[KPI.vendorsReferenced],
      title: `Éditeurs Ségur${model.vendors.breakdownLabel ? ` — ${model.vendors.breakdownLabel}` : ""}`,
      rowHeader: "Mois",
      columns: [
        { key: "referenced", label: "Référencés", unit: "count" },
        { key: "inProgress", label: "En cours", unit: "count" },
        { key: "total", label: "Total", unit: "count" },
      ],
      rows: model.vendors.monthly.map((p) => ({
        key: p.period,
        label: formatMonthFr(p.period),
        values: [p.referenced, p.inProgress, p.total],
      })),
    },
    {
      id: "documents-sectors",
      title: "Documents par secteur producteur et cibles Ségur",
      rowHeader: "Secteur",
      kinds: withPublished(model.sectors.kinds),
      note: model.sectors.window
        ? `Documents des 12 mois de ${formatMonthFr(model.sectors.window.from)} à ${formatMonthFr(model.sectors.window.to)}, face aux cibles annuelles publiées du Ségur du numérique (la répartition par secteur est ${model.sectors.kinds.includes("demo") ? "de démonstration" : "celle des chiffres reçus"} ; les pharmacies n'ont pas de cible).`
        : undefined,
      columns: [
        { key: "value", label: labelWithKind("Documents sur 12 mois", model.sectors.kinds), unit: "count" },
        { key: "target", label: "Cible Ségur par an (publiée)", unit: "count" },
        { key: "attainment", label: "Part de la cible", unit: "percent" },
      ],
      rows: model.sectors.rows.map((r) => ({
        key: r.code,
        label: r.label,
        values: [r.value, r.target, r.attainment],
      })),
    },
    {
      id: "activated-stock",
      title: "Espaces activés : cumul de la campagne et chiffres publiés",
      rowHeader: "Mois",
      kinds: model.activatedStock.publishedShown
        ? withPublished(model.activatedStock.kinds)
        : model.activatedStock.kinds,
      note: model.activatedStock.publishedShown
        ? undefined
        : "Les chiffres publiés sont nationaux : ils ne sont pas montrés pour un département.",
      columns: [
        {
          key: "cumulative",
          label: labelWithKind("Cumul des activations", model.activatedStock.kinds),
          unit: "count",
        },
        { key: "published", label: "Chiffre publié", unit: "count", marker: true },
        { key: "goal", label: "Objectif publié", unit: "count", marker: true },
      ],
      rows: model.activatedStock.monthly.map((p) => ({
        key: p.period,
        label: formatMonthFr(p.period),
        values: [p.cumulative, p.published, p.goal],
      })),
      pointSources: model.activatedStock.publishedShown
        ? referenceSources(KPI.spacesActivated, (to) => to)
        : {},
    },
    {
      id: "funnel",
      kinds: model.kinds[KPI.notified],
      title: `Campagne : parcours des assurés${model.filters.department ? ` — département ${model.filters.department}` : ""}`,
      rowHeader: "Mois",
      columns: [
        { key: "notified", label: "Notifiés", unit: "count" },
        { key: "activated", label: "Activés", unit: "count" },
        { key: "opposed", label: "Oppositions", unit: "count" },
        { key: "autoCreated", label: "Créés automatiquement", unit: "count" },
        { key: "closed", label: "Clôturés", unit: "count" },
      ],
      rows: model.funnel.monthly.map((p) => ({
        key: p.period,
        label: formatMonthFr(p.period),
        values: [p.notified, p.activated, p.opposed, p.autoCreated, p.closed],
      })),
    },
    {
      id: "departments",
      title: "Taux d'activation par département (assurés de cette base)",
      rowHeader: "Département",
      tableOnly: true,
      kinds: ["computed"],
      note:
        "Calculé par mes-ops à partir de l'entonnoir de la campagne : espaces activés ÷ assurés notifiés au " +
        "moins une fois, par département (numéro croissant), et pour la France entière. Le taux n'est pas " +
        "donné quand l'un des deux effectifs est inférieur à 10.",
      columns: [
        { key: "notified", label: "Notifiés", unit: "count" },
        { key: "activated", label: "Activés", unit: "count" },
        { key: "rate", label: "Taux d'activation", unit: "percent" },
      ],
      rows: [model.departmentActivation.national, ...model.departmentActivation.rows].map((r) => ({
        key: r.department || "france",
        label: r.department || "France entière",
        values: [r.notified, r.activated, r.notified < 10 || r.activated < 10 ? null : r.rate],
      })),
    },
    {
      id: "connections",
      title: "Connexions par mois (site web / application)",
      rowHeader: "Mois",
      kinds: model.connections.kinds,
      note: model.connections.kinds.includes("demo")
        ? "Aucun chiffre public mensuel par canal : série de démonstration."
        : undefined,
      columns: [
        { key: "web", label: labelWithKind("Site web", model.connections.kinds), unit: "count" },
        { key: "app", label: labelWithKind("Application", model.connections.kinds), unit: "count" },
        { key: "total", label: "Total", unit: "count" },
      ],
      rows: model.connections.monthly.map((p) => ({
        key: p.period,
        label: formatMonthFr(p.period),
        values: [p.web, p.app, p.total],
      })),
    },
  ];
  if (model.helpline.available) {
    tables.push({
      id: "helpline",
      title: "Dossiers 34 22 ouverts",
      kinds: model.kinds[KPI.helplineCases],
      rowHeader: "Mois",
      columns: [{ key: "cases", label: "Dossiers", unit: "count" }],
      rows: model.helpline.monthly.map((p) => ({
        key: p.period,
        label: formatMonthFr(p.period),
        values: [p.cases],
      })),
    });
  }
  return tables;
}

/**
 * The table as it may leave the server: every suppressed count replaced by null and flagged, so that the
 * data a browser receives holds no count below 10 (the page still shows « < 10 » for it).
 */
export function withheldTable(table: ChartTable): ChartTable {
  return {
    ...table,
    rows: table.rows.map((row) => {
      const cells = row.values.map((v, i) => presentCell(v, table.columns[i].unit));
      return { ...row, values: cells.map((c) => c.value), suppressed: cells.map((c) => c.suppressed) };
    }),
  };
}

/** The table as text cells, suppression applied (display for the UI and the PDF, csv for the export). */
export function presentRows(
  table: ChartTable,
  format: CellFormat = "display",
): Array<{ label: string; cells: string[] }> {
  return table.rows.map((row) => ({
    label: row.label,
    cells: row.values.map((v, i) =>
      row.suppressed?.[i] ? SUPPRESSED_LABEL : presentCell(v, table.columns[i].unit, format).text,
    ),
  }));
}

/** Chart points (suppressed cells become gaps), keyed by column key. */
export function chartPoints(table: ChartTable): Array<Record<string, number | string | null>> {
  return table.rows.map((row) => {
    const point: Record<string, number | string | null> = { key: row.key, label: row.label };
    row.values.forEach((v, i) => {
      point[table.columns[i].key] = presentCell(v, table.columns[i].unit).value;
    });
    return point;
  });
}
