import { axisMax, axisTicks, type ChartSeries, type ChartSpec } from "../../../reports/kpi/charts";
import type { KpiKeyFigureRow, KpiReportChart, KpiReportData } from "../../../reports/kpi/report";
import { type ChartTable, chartTables, presentRows } from "./chart-tables";
import type { DashboardModel, KeyFigure } from "./dashboard";
import {
  formatCompactFr,
  formatGeneratedAtFr,
  formatMonthFr,
  formatMonthShortFr,
  formatNumberFr,
  formatPercentFr,
} from "./format";
import { formatPublishedOn, KIND_LABELS } from "./reference";
import { currentParisMonth, isMonthComplete, STATUS_LABELS } from "./status";
import { presentCell } from "./suppression";

/**
 * What the monthly KPI report prints, from a dashboard model: every text formatted in French, small cells
 * suppressed by the one rule (suppression.ts), statuses worded, each chart's series and axis chosen. The
 * renderer (reports/kpi/report.ts) only lays it out.
 */
export function kpiReportData(
  model: DashboardModel,
  opts: { period: string; generatedAt: Date; demo: boolean },
): KpiReportData {
  const trend = model.documents.trend;
  const range = `période ${formatMonthFr(model.filters.from)} – ${formatMonthFr(model.filters.to)}`;
  return {
    periodLabel: formatMonthFr(opts.period),
    fromLabel: formatMonthFr(model.filters.from),
    toLabel: formatMonthFr(model.filters.to),
    // A month is complete only once it has ended (Paris time): a report made on 7 December does not call
    // December complete.
    coverageLabel: isMonthComplete(opts.period, currentParisMonth(opts.generatedAt))
      ? `Données arrêtées à fin ${formatMonthFr(opts.period)}, ${range}.`
      : `Données provisoires : ${formatMonthFr(opts.period)} n'est pas terminé (chiffres au ${formatGeneratedAtFr(opts.generatedAt)}), ${range}.`,
    generatedAtLabel: formatGeneratedAtFr(opts.generatedAt),
    demo: opts.demo,
    keyFigures: model.keyFigures.map(keyFigureRow),
    charts: chartTables(model).map(reportChart),
    reference: {
      header: ["Indicateur", "Période", "Chiffre publié", "Même mesure ici", "Source", "Publié le"],
      rows: model.reference.map((r) => {
        const indicator = model.indicators.find((i) => i.code === r.indicatorCode);
        const unit = indicator?.unit ?? "count";
        const breakdown = indicator?.breakdowns.find((b) => b.code === r.breakdown)?.label;
        return [
          `${indicator?.label ?? r.indicatorCode}${breakdown ? ` — ${breakdown}` : ""}${r.nature === "goal" ? " (objectif)" : ""}`,
          r.periodLabel,
          unit === "percent" ? formatPercentFr(r.value, 2) : presentCell(r.value, unit).text,
          r.here === null
            ? "–"
            : `${unit === "percent" ? formatPercentFr(r.here, 2) : presentCell(r.here, unit).text}${r.hereKinds.length > 0 ? ` (${r.hereKinds.map((k) => KIND_LABELS[k]).join(", ")})` : ""}`,
          `${r.source.publisher}, « ${r.source.title} »${r.source.url ? ` ${r.source.url}` : " (adresse non relevée)"}`,
          formatPublishedOn(r.source.publishedOn),
        ];
      }),
    },
    notes: {
      projection: model.notes.projection,
      trend: trend
        ? `Tendance des documents : ${formatNumberFr(trend.slope)} documents de plus chaque mois (fenêtre ${formatMonthFr(trend.window[0])} – ${formatMonthFr(trend.window.at(-1) ?? trend.window[0])}).`
        : null,
      status: model.notes.inProgress ? `${model.notes.status} ${model.notes.inProgress}` : model.notes.status,
      suppression: model.notes.suppression,
      sources: model.notes.sources,
      provenance: model.notes.provenance,
    },
  };
}

function keyFigureRow(k: KeyFigure): KpiKeyFigureRow {
  return {
    label: k.label,
    value: presentCell(k.value, k.unit).text,
    target: k.target === null ? "–" : `${presentCell(k.target, k.unit).text} (${k.targetYear})`,
    projected: presentCell(k.projected, k.unit).text,
    attainment: k.attainment === null ? "–" : formatPercentFr(k.attainment * 100, 1),
    status: k.status ? STATUS_LABELS[k.status] : "–",
  };
}

function reportChart(table: ChartTable): KpiReportChart {
  const kinds = table.kinds?.length
    ? `Origine : ${table.kinds.map((k) => KIND_LABELS[k]).join(", ")}.`
    : null;
  return {
    title: table.title,
    chart: table.tableOnly ? null : chartSpec(table),
    notes: [kinds, table.note ?? null, ...Object.values(table.pointSources ?? {})].filter(
      (n): n is string => n !== null,
    ),
    table: {
      header: [table.rowHeader, ...table.columns.map((c) => c.label)],
      rows: presentRows(table).map((r) => [r.label, ...r.cells]),
    },
  };
}

const BLUE = "#000091";
const COLORS = ["#000091", "#6a6af4", "#e1000f", "#18753c", "#b34000"];

/** The chart a table is drawn as: its series (suppressed cells are gaps), colours and value axis. */
function chartSpec(table: ChartTable): ChartSpec {
  const percent = table.columns[0]?.unit === "percent";
  const monthly = table.rowHeader === "Mois";
  const categories = table.rows.map((r) => (monthly ? formatMonthShortFr(r.key) : r.label));
  const valuesOf = (i: number) =>
    table.rows.map((r) => presentCell(r.values[i], table.columns[i].unit).value);
  const formatY = percent ? (v: number) => formatPercentFr(v, 0) : formatCompactFr;
  const col = (key: string) => table.columns.findIndex((c) => c.key === key);
  const spec = (series: ChartSeries[], fixedMax?: number): ChartSpec => {
    const max = axisMax(series, fixedMax);
    return { categories, series, yAxis: { max, labels: axisTicks(max).map(formatY) } };
  };
  switch (table.id) {
    case "documents-years":
      return spec([
        { label: "Réalisé", values: valuesOf(col("actual")), kind: "bar", color: BLUE },
        {
          label: "Projection fin d'année",
          values: valuesOf(col("projected")),
          kind: "bar",
          color: "#9a9aff",
        },
        {
          label: "Cible",
          values: valuesOf(col("target")),
          kind: "line",
          color: "#e1000f",
          connectGaps: true,
        },
        { label: "Chiffre publié", values: valuesOf(col("published")), kind: "points", color: "#18753c" },
      ]);
    case "documents-trajectory":
    case "doctors":
      return spec(
        [
          { label: table.columns[0].label, values: valuesOf(0), kind: "line", color: BLUE },
          { label: table.columns[1].label, values: valuesOf(1), kind: "dashed", color: "#6a6af4" },
          { label: table.columns[2].label, values: valuesOf(2), kind: "dashed", color: "#e1000f" },
        ],
        percent ? 100 : undefined,
      );
    case "activated-stock":
      return spec([
        { label: table.columns[0].label, values: valuesOf(0), kind: "line", color: BLUE },
        { label: table.columns[1].label, values: valuesOf(1), kind: "points", color: "#18753c" },
        { label: table.columns[2].label, values: valuesOf(2), kind: "points", color: "#b34000" },
      ]);
    case "documents-sectors":
      return spec([
        { label: table.columns[0].label, values: valuesOf(0), kind: "bar", color: BLUE },
        { label: table.columns[1].label, values: valuesOf(1), kind: "bar", color: "#e1000f" },
      ]);
    case "connections":
      return spec([
        { label: table.columns[0].label, values: valuesOf(0), kind: "area", color: BLUE },
        { label: table.columns[1].label, values: valuesOf(1), kind: "area", color: "#9a9aff" },
      ]);
    case "vendors":
      return spec([
        { label: "Référencés", values: valuesOf(col("referenced")), kind: "area", color: BLUE },
        { label: "En cours", values: valuesOf(col("inProgress")), kind: "area", color: "#9a9aff" },
        { label: "Total", values: valuesOf(col("total")), kind: "line", color: "#e1000f" },
      ]);
    default:
      return spec(
        table.columns.map((c, i) => ({
          label: c.label,
          values: valuesOf(i),
          kind: table.columns.length === 1 ? "bar" : "line",
          color: COLORS[i % COLORS.length],
        })),
      );
  }
}
