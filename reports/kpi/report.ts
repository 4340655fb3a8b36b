import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import PDFDocument from "pdfkit";
import { type ChartTable, chartTables, presentRows } from "../../app/domain/kpi/chart-tables";
import type { DashboardModel } from "../../app/domain/kpi/dashboard";
import {
  formatCompactFr,
  formatGeneratedAtFr,
  formatMonthFr,
  formatMonthShortFr,
  formatNumberFr,
  formatPercentFr,
} from "../../app/domain/kpi/format";
import { STATUS_LABELS } from "../../app/domain/kpi/status";
import { presentCell } from "../../app/domain/kpi/suppression";
import { type ChartSpec, drawChart } from "./charts";

/**
 * The monthly KPI report for the minister: cover, key figures against targets, every dashboard chart drawn
 * as vectors with its table, the projection method and the data sources. Plain data in, bytes out.
 */
export interface ReportOptions {
  /** The month the report covers (YYYY-MM). */
  period: string;
  generatedAt: Date;
  demo: boolean;
  /** pdfkit compression; off in tests so the content stream stays readable. */
  compress?: boolean;
}

const require = createRequire(import.meta.url);
let fonts: { regular: Buffer; bold: Buffer } | null = null;
function loadFonts() {
  // Read once per process; registered once per document (registerFont, never doc.font(buffer)).
  fonts ??= {
    regular: readFileSync(require.resolve("dejavu-fonts-ttf/ttf/DejaVuSans.ttf")),
    bold: readFileSync(require.resolve("dejavu-fonts-ttf/ttf/DejaVuSans-Bold.ttf")),
  };
  return fonts;
}

const BLUE = "#000091";
const COLORS = ["#000091", "#6a6af4", "#e1000f", "#18753c", "#b34000"];

function chartSpec(table: ChartTable): ChartSpec {
  const percent = table.columns[0]?.unit === "percent";
  const monthly = table.rowHeader === "Mois";
  const categories = table.rows.map((r) => (monthly ? formatMonthShortFr(r.key) : r.label));
  const valuesOf = (i: number) =>
    table.rows.map((r) => presentCell(r.values[i], table.columns[i].unit).value);
  const formatY = percent ? (v: number) => formatPercentFr(v, 0) : formatCompactFr;
  const col = (key: string) => table.columns.findIndex((c) => c.key === key);
  switch (table.id) {
    case "documents-years":
      return {
        categories,
        formatY,
        series: [
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
        ],
      };
    case "documents-trajectory":
    case "doctors":
      return {
        categories,
        formatY,
        yMax: percent ? 100 : undefined,
        series: [
          { label: table.columns[0].label, values: valuesOf(0), kind: "line", color: BLUE },
          { label: table.columns[1].label, values: valuesOf(1), kind: "dashed", color: "#6a6af4" },
          { label: table.columns[2].label, values: valuesOf(2), kind: "dashed", color: "#e1000f" },
        ],
      };
    case "vendors":
      return {
        categories,
        formatY,
        series: [
          { label: "Référencés", values: valuesOf(col("referenced")), kind: "area", color: BLUE },
          { label: "En cours", values: valuesOf(col("inProgress")), kind: "area", color: "#9a9aff" },
          { label: "Total", values: valuesOf(col("total")), kind: "line", color: "#e1000f" },
        ],
      };
    default:
      return {
        categories,
        formatY,
        series: table.columns.map((c, i) => ({
          label: c.label,
          values: valuesOf(i),
          kind: table.columns.length === 1 ? "bar" : "line",
          color: COLORS[i % COLORS.length],
        })),
      };
  }
}

function heading(doc: PDFKit.PDFDocument, text: string) {
  doc.font("Bold").fontSize(15).fillColor(BLUE).text(text);
  doc.moveDown(0.4);
  doc.font("Regular").fontSize(9).fillColor("#222");
}

function drawTable(doc: PDFKit.PDFDocument, header: string[], rows: string[][], widths: number[]) {
  const x0 = doc.page.margins.left;
  const line = (cells: string[], bold: boolean) => {
    doc.font(bold ? "Bold" : "Regular").fontSize(8);
    // Long labels wrap: the row is as tall as its tallest cell.
    const height = Math.max(...cells.map((c, i) => doc.heightOfString(c, { width: widths[i] - 4 }))) + 4;
    if (doc.y + height > doc.page.height - doc.page.margins.bottom) doc.addPage();
    const y = doc.y;
    let x = x0;
    doc.fillColor("#222");
    cells.forEach((c, i) => {
      doc.text(c, x + 2, y + 2, { width: widths[i] - 4, align: i === 0 ? "left" : "right" });
      x += widths[i];
    });
    doc
      .moveTo(x0, y + height)
      .lineTo(x, y + height)
      .lineWidth(0.3)
      .strokeColor(bold ? "#000" : "#ccc")
      .stroke();
    doc.x = x0;
    doc.y = y + height;
  };
  line(header, true);
  for (const r of rows) line(r, false);
  doc.moveDown(0.8);
}

export async function renderKpiReport(
  model: DashboardModel,
  opts: ReportOptions,
): Promise<{ pdf: Buffer; pages: number }> {
  const { regular, bold } = loadFonts();
  const doc = new PDFDocument({
    size: "A4",
    margin: 50,
    bufferPages: true,
    compress: opts.compress ?? true,
    info: { Title: `Indicateurs Mon espace santé — ${formatMonthFr(opts.period)}`, Author: "mes-ops" },
  });
  doc.registerFont("Regular", regular);
  doc.registerFont("Bold", bold);
  const chunks: Buffer[] = [];
  doc.on("data", (c: Buffer) => chunks.push(c));
  const done = new Promise<Buffer>((resolve, reject) => {
    doc.on("end", () => resolve(Buffer.concat(chunks)));
    doc.on("error", reject);
  });
  const width = doc.page.width - 100;

  // Cover.
  doc.rect(0, 0, doc.page.width, 200).fill(BLUE);
  doc.font("Bold").fontSize(26).fillColor("#fff").text("Mon espace santé", 50, 70);
  doc.font("Regular").fontSize(15).text("Feuille de route : indicateurs et cibles", 50, 108);
  doc
    .fillColor("#222")
    .font("Bold")
    .fontSize(20)
    .text(`Rapport mensuel — ${formatMonthFr(opts.period)}`, 50, 260);
  doc.font("Regular").fontSize(11).moveDown(1);
  doc.text(
    `Données arrêtées à fin ${formatMonthFr(opts.period)}, période ${formatMonthFr(model.filters.from)} – ${formatMonthFr(model.filters.to)}.`,
  );
  doc.text(`Généré le ${formatGeneratedAtFr(opts.generatedAt)} par mes-ops.`);
  if (opts.demo) {
    doc
      .moveDown(1)
      .font("Bold")
      .fillColor("#b34000")
      .text("Données de démonstration : ces chiffres ne sont pas réels.");
  }
  doc.moveDown(2).font("Regular").fontSize(9).fillColor("#444").text(model.notes.suppression, { width });

  // Key figures with target attainment.
  doc.addPage();
  heading(doc, "Chiffres clés");
  drawTable(
    doc,
    ["Indicateur", "Dernière valeur", "Cible", "Projection", "Atteinte", "Statut"],
    model.keyFigures.map((k) => [
      k.label,
      presentCell(k.value, k.unit).text,
      k.target === null ? "–" : `${presentCell(k.target, k.unit).text} (${k.targetYear})`,
      presentCell(k.projected, k.unit).text,
      k.attainment === null ? "–" : formatPercentFr(k.attainment * 100, 1),
      k.status ? STATUS_LABELS[k.status] : "–",
    ]),
    [165, 70, 85, 65, 50, 60],
  );
  doc.font("Regular").fontSize(8.5).fillColor("#444").text(model.notes.status, { width });

  // Every chart with its table.
  for (const table of chartTables(model)) {
    doc.addPage();
    heading(doc, table.title);
    const chartTop = doc.y;
    drawChart(doc, { x: 50, y: chartTop, width, height: 250 }, chartSpec(table), "Regular");
    // pdfkit's text() moves the cursor: put it back under the chart.
    doc.x = 50;
    doc.y = chartTop + 262;
    const cols = table.columns.length;
    const first = 110;
    drawTable(
      doc,
      [table.rowHeader, ...table.columns.map((c) => c.label)],
      presentRows(table).map((r) => [r.label, ...r.cells]),
      [first, ...Array.from({ length: cols }, () => Math.min(110, (width - first) / cols))],
    );
  }

  // Method and sources.
  doc.addPage();
  heading(doc, "Méthode et sources");
  doc.font("Bold").fontSize(10).text("Projection");
  doc.font("Regular").fontSize(9).text(model.notes.projection, { width });
  if (model.documents.trend) {
    doc.text(
      `Tendance des documents : ${formatNumberFr(model.documents.trend.slope)} documents de plus chaque mois (fenêtre ${formatMonthFr(model.documents.trend.window[0])} – ${formatMonthFr(model.documents.trend.window.at(-1) ?? model.documents.trend.window[0])}).`,
      { width },
    );
  }
  doc.moveDown(0.8).font("Bold").fontSize(10).text("Statut par rapport à la cible");
  doc.font("Regular").fontSize(9).text(model.notes.status, { width });
  doc.moveDown(0.8).font("Bold").fontSize(10).text("Secret statistique");
  doc.font("Regular").fontSize(9).text(model.notes.suppression, { width });
  doc.moveDown(0.8).font("Bold").fontSize(10).text("Sources des données");
  doc.font("Regular").fontSize(9);
  for (const s of model.notes.sources) doc.text(`• ${s}`, { width });

  // Page numbers, inside the bottom margin (lineBreak: false so no page is added).
  const range = doc.bufferedPageRange();
  for (let i = range.start; i < range.start + range.count; i++) {
    doc.switchToPage(i);
    const bottom = doc.page.margins.bottom;
    doc.page.margins.bottom = 0;
    doc
      .font("Regular")
      .fontSize(7.5)
      .fillColor("#666")
      .text(
        `mes-ops — indicateurs ${formatMonthFr(opts.period)} — page ${i + 1} / ${range.count}`,
        50,
        doc.page.height - 32,
        {
          width,
          align: "center",
          lineBreak: false,
        },
      );
    doc.page.margins.bottom = bottom;
  }
  doc.end();
  return { pdf: await done, pages: range.count };
}
