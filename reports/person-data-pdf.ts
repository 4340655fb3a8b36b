import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import PDFDocument from "pdfkit";

/**
 * What mes-ops holds about one person, as the right of access (RGPD art. 15) hands it over. Plain data in,
 * bytes out: every cell arrives as printed (dates in Paris time, codes as French labels); the persons
 * domain builds it (app/domain/persons/person-data.server.ts), and the same object is the JSON export.
 */
export interface PersonDataDocument {
  title: string;
  /** « Document établi au titre de l'article 15 du RGPD ». */
  legalBasis: string;
  /** When the document was produced: ISO for machines, as printed for people. */
  generatedAt: string;
  generatedAtLabel: string;
  /** Who asked for it (the staff member's e-mail), as printed. */
  generatedBy: string;
  person: { id: number; label: string };
  /** What the document never holds, in one sentence (codes, code hashes, passwords…). */
  exclusions: string;
  sections: PersonDataSection[];
}

/** One table of the document; `rows` may be empty, then `empty` is printed instead. */
export interface PersonDataSection {
  key: string;
  title: string;
  /** What the section holds, or why a value is missing (a purged note, say). */
  note: string | null;
  columns: string[];
  rows: string[][];
  empty: string;
}

export interface PersonDataPdfOptions {
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
const MARGIN = 40;
/** Room kept under the body for the footer (page number, legal basis). */
const FOOTER = 36;

/** Column widths: a two-column table is label + value; wider tables share the width equally. */
function widthsOf(columns: number, width: number): number[] {
  if (columns === 2) return [180, width - 180];
  return Array.from({ length: columns }, () => width / columns);
}

function drawTable(doc: PDFKit.PDFDocument, header: string[], rows: string[][], width: number) {
  const widths = widthsOf(header.length, width);
  const x0 = doc.page.margins.left;
  const bottom = () => doc.page.height - doc.page.margins.bottom;
  const line = (cells: string[], bold: boolean) => {
    doc.font(bold ? "Bold" : "Regular").fontSize(7.5);
    // Long values wrap: the row is as tall as its tallest cell.
    const height = Math.max(...cells.map((c, i) => doc.heightOfString(c, { width: widths[i] - 4 }))) + 4;
    if (doc.y + height > bottom()) {
      doc.addPage();
      // The header again on top of a continued table.
      if (!bold) line(header, true);
      doc.font(bold ? "Bold" : "Regular").fontSize(7.5);
    }
    const y = doc.y;
    let x = x0;
    if (bold) doc.rect(x0, y, width, height).fill("#eef0fb");
    doc.fillColor("#222");
    cells.forEach((c, i) => {
      doc.text(c, x + 2, y + 2, { width: widths[i] - 4 });
      x += widths[i];
    });
    doc
      .moveTo(x0, y + height)
      .lineTo(x0 + width, y + height)
      .lineWidth(0.3)
      .strokeColor(bold ? "#000" : "#ccc")
      .stroke();
    doc.x = x0;
    doc.y = y + height;
  };
  line(header, true);
  for (const r of rows) line(r, false);
}

/** The document as a PDF: title page header, one table per section, page numbers and the legal basis. */
export async function renderPersonDataPdf(
  data: PersonDataDocument,
  opts: PersonDataPdfOptions = {},
): Promise<{ pdf: Buffer; pages: number }> {
  const { regular, bold } = loadFonts();
  const doc = new PDFDocument({
    // Landscape: the widest tables (a case, a notification) have eight or nine columns.
    size: "A4",
    layout: "landscape",
    margins: { top: MARGIN, left: MARGIN, right: MARGIN, bottom: MARGIN + FOOTER },
    bufferPages: true,
    compress: opts.compress ?? true,
    info: { Title: `${data.title} — ${data.person.label}`, Author: "mes-ops" },
  });
  doc.registerFont("Regular", regular);
  doc.registerFont("Bold", bold);
  const chunks: Buffer[] = [];
  doc.on("data", (c: Buffer) => chunks.push(c));
  const done = new Promise<Buffer>((resolve, reject) => {
    doc.on("end", () => resolve(Buffer.concat(chunks)));
    doc.on("error", reject);
  });
  const width = doc.page.width - 2 * MARGIN;

  doc.font("Bold").fontSize(17).fillColor(BLUE).text(data.title, { width });
  doc.moveDown(0.3);
  doc.font("Bold").fontSize(11).fillColor("#222").text(data.person.label, { width });
  doc.font("Regular").fontSize(9).fillColor("#444");
  doc.text(`Établi le ${data.generatedAtLabel} à la demande de ${data.generatedBy}.`, { width });
  doc.text(data.legalBasis, { width });
  doc.moveDown(0.3).fontSize(8).text(data.exclusions, { width });

  for (const section of data.sections) {
    doc.moveDown(1);
    // A heading never sits alone at the bottom of a page.
    if (doc.y + 60 > doc.page.height - doc.page.margins.bottom) doc.addPage();
    doc.font("Bold").fontSize(12).fillColor(BLUE).text(section.title, MARGIN, doc.y, { width });
    doc.moveDown(0.2);
    if (section.note) doc.font("Regular").fontSize(8).fillColor("#444").text(section.note, { width });
    doc.moveDown(0.2);
    if (section.rows.length === 0) {
      doc.font("Regular").fontSize(9).fillColor("#444").text(section.empty, { width });
    } else {
      drawTable(doc, section.columns, section.rows, width);
    }
  }

  // Footer on every page, inside the bottom margin (lineBreak: false so no page is added).
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
        `${data.legalBasis} — ${data.person.label} — page ${i + 1} / ${range.count}`,
        MARGIN,
        doc.page.height - MARGIN,
        { width, align: "center", lineBreak: false },
      );
    doc.page.margins.bottom = bottom;
  }
  doc.end();
  return { pdf: await done, pages: range.count };
}
