import type { IndicatorUnit } from "./catalogue";
import type { DashboardModel } from "./dashboard";
import { formatMonthFr } from "./format";
import { type CellFormat, presentCell, SUPPRESSED_LABEL } from "./suppression";

/**
 * Every chart of the dashboard as a table: the UI draws and lists it, the CSV export writes it and the PDF
 * draws and prints it — all from these rows, through the same suppression rule.
 */
export interface ChartColumn {
  key: string;
  label: string;
  unit: IndicatorUnit;
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
}

export const CHART_IDS = [
  "documents-years",
  "documents-trajectory",
  "doctors",
  "vendors",
  "funnel",
  "helpline",
] as const;
export type ChartId = (typeof CHART_IDS)[number];

export function isChartId(value: string): value is ChartId {
  return (CHART_IDS as readonly string[]).includes(value);
}

export function chartTables(model: DashboardModel): ChartTable[] {
  const d = model.documents;
  const scope = d.breakdownLabel ? ` — ${d.breakdownLabel}` : "";
  const tables: ChartTable[] = [
    {
      id: "documents-years",
      title: `Documents déposés par an${scope}`,
      rowHeader: "Année",
      columns: [
        { key: "actual", label: "Réalisé", unit: "count" },
        { key: "projected", label: "Projection fin d'année", unit: "count" },
        { key: "target", label: "Cible", unit: "count" },
      ],
      rows: d.years.map((y) => ({
        key: String(y.year),
        label: String(y.year),
        values: [y.actual, y.projected, y.target],
      })),
    },
    {
      id: "documents-trajectory",
      title: `Documents déposés en ${d.trajectoryYear} : cumul et projection${scope}`,
      rowHeader: "Mois",
      columns: [
        { key: "cumulative", label: "Cumul réalisé", unit: "count" },
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
      id: "funnel",
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
  ];
  if (model.helpline.available) {
    tables.push({
      id: "helpline",
      title: "Dossiers 34 22 ouverts",
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
