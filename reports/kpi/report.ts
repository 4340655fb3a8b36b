import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import PDFDocument from "pdfkit";
import { type ChartSpec, drawChart } from "./charts";

/**
 * The monthly KPI report for the minister: cover, key figures against targets, every dashboard chart drawn
 * as vectors with its table, the projection method and the data sources. Plain data in, bytes out: every
 * text arrives formatted, small cells already suppressed and statuses already worded (the KPI domain builds
 * this from its dashboard model, app/domain/kpi/report-data.ts).
 */
export interface KpiReportData {
  /** The month the report covers, as printed ("octobre 2026"). */
  periodLabel: string;
  /** The first and last months of the figures, as printed. */
  fromLabel: string;
  toLabel: string;
  /** What the figures cover, as printed: complete to the end of the month, or provisional for a month in progress. */
  coverageLabel: string;
  /** When the report was produced, as printed ("1 novembre 2026 à 06:00"). */
  generatedAtLabel: string;
  demo: boolean;
  keyFigures: KpiKeyFigureRow[];
  charts: KpiReportChart[];
  /** The published figures with their sources, as printed. */
  reference: { header: string[]; rows: string[][] };
  notes: {
    /** Which series are published, computed, received, demo. */
    provenance: string[];
    projection: string;
    /** The documents' trend in one sentence, or null without a trend. */
    trend: string | null;
    status: string;
    suppression: string;
    sources: string[];
  };
}

/** One line of the key figures' table, every cell as printed. */
export interface KpiKeyFigureRow {
  label: string;
  value: string;
  target: string;
  projected: string;
  attainment: string;
  status: string;
}

/** One chart page: the chart and the table under it (header and rows as printed). */
export interface KpiReportChart {
  title: string;
  /** Null for a table without a chart (the departments). */
  chart: ChartSpec | null;
  table: { header: string[]; rows: string[][] };
  /** Notes printed under the table (what it covers, the sources of its published points). */
  notes: string[];
}

export interface ReportOptions {
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
  data: KpiReportData,
  opts: ReportOptions = {},
): Promise<{ pdf: Buffer; pages: number }> {
  const { regular, bold } = loadFonts();
  const doc = new PDFDocument({
    size: "A4",
    margin: 50,
    bufferPages: true,
    compress: opts.compress ?? true,
    info: { Title: `Indicateurs Mon espace santé — ${data.periodLabel}`, Author: "mes-ops" },
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
  doc.fillColor("#222").font("Bold").fontSize(20).text(`Rapport mensuel — ${data.periodLabel}`, 50, 260);
  doc.font("Regular").fontSize(11).moveDown(1);
  doc.text(data.coverageLabel);
  doc.text(`Généré le ${data.generatedAtLabel} par mes-ops.`);
  if (data.demo) {
    doc
      .moveDown(1)
      .font("Bold")
      .fillColor("#b34000")
      .text("Données de démonstration : ces chiffres ne sont pas réels.");
  }
  doc.moveDown(2).font("Regular").fontSize(9).fillColor("#444").text(data.notes.suppression, { width });
  doc.moveDown(1).font("Bold").fontSize(10).fillColor("#222").text("D'où viennent les chiffres");
  doc.font("Regular").fontSize(9).fillColor("#444");
  for (const line of data.notes.provenance) doc.text(`• ${line}`, { width });

  // Key figures with target attainment.
  doc.addPage();
  heading(doc, "Chiffres clés");
  drawTable(
    doc,
    ["Indicateur", "Dernière valeur", "Cible", "Projection", "Atteinte", "Statut"],
    data.keyFigures.map((k) => [k.label, k.value, k.target, k.projected, k.attainment, k.status]),
    [165, 70, 85, 65, 50, 60],
  );
  doc.font("Regular").fontSize(8.5).fillColor("#444").text(data.notes.status, { width });

  // Every chart with its table.
  for (const { title, chart, table, notes } of data.charts) {
    doc.addPage();
    heading(doc, title);
    if (chart) {
      const chartTop = doc.y;
      drawChart(doc, { x: 50, y: chartTop, width, height: 250 }, chart, "Regular");
      // pdfkit's text() moves the cursor: put it back under the chart.
      doc.x = 50;
      doc.y = chartTop + 262;
    }
    const cols = table.header.length - 1;
    const first = 110;
    drawTable(doc, table.header, table.rows, [
      first,
      ...Array.from({ length: cols }, () => Math.min(110, (width - first) / cols)),
    ]);
    doc.font("Regular").fontSize(8).fillColor("#444");
    for (const note of notes) doc.text(note, { width });
  }

  // The published figures and their sources.
  doc.addPage();
  heading(doc, "Chiffres publiés et sources");
  drawTable(doc, data.reference.header, data.reference.rows, [110, 70, 55, 75, 145, 60]);

  // Method and sources.
  doc.addPage();
  heading(doc, "Méthode et sources");
  doc.font("Bold").fontSize(10).text("Projection");
  doc.font("Regular").fontSize(9).text(data.notes.projection, { width });
  if (data.notes.trend) doc.text(data.notes.trend, { width });
  doc.moveDown(0.8).font("Bold").fontSize(10).text("Statut par rapport à la cible");
  doc.font("Regular").fontSize(9).text(data.notes.status, { width });
  doc.moveDown(0.8).font("Bold").fontSize(10).text("Secret statistique");
  doc.font("Regular").fontSize(9).text(data.notes.suppression, { width });
  doc.moveDown(0.8).font("Bold").fontSize(10).text("Sources des données");
  doc.font("Regular").fontSize(9);
  for (const s of data.notes.sources) doc.text(`• ${s}`, { width });

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
        `mes-ops — indicateurs ${data.periodLabel} — page ${i + 1} / ${range.count}`,
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
