import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import type { Writable } from "node:stream";
import PDFDocument from "pdfkit";
import { frenchLongDate as longDate } from "../french-date";

/**
 * Notification letters: A4, one page per person, many letters per PDF (the font is embedded once per file).
 * Data in, bytes out: this module never touches the database.
 */

export interface LetterData {
  sequence: number;
  firstName: string;
  lastName: string;
  addressLine: string | null;
  postalCode: string | null;
  city: string | null;
  /** The clear provisional code: exists only in the memory of the job rendering the batch. */
  code: string;
  windowEnd: Date;
  codeExpiresAt: Date;
}

export interface LetterBatchInfo {
  /** Printed in every footer, e.g. "V12-L0003". */
  batchLabel: string;
  /** Date printed at the top of the letter. */
  issuedAt: Date;
  /** Do not compress content streams (tests read the operators). */
  compress?: boolean;
}

const require = createRequire(import.meta.url);
let fonts: { regular: Buffer; bold: Buffer } | null = null;

/** DejaVu Sans covers Ł, ř, ş, ễ, Đ…: pdfkit's standard fonts are WinAnsi only. Read from disk once. */
function letterFonts(): { regular: Buffer; bold: Buffer } {
  if (!fonts) {
    const dir = path.join(path.dirname(require.resolve("dejavu-fonts-ttf/package.json")), "ttf");
    fonts = {
      regular: readFileSync(path.join(dir, "DejaVuSans.ttf")),
      bold: readFileSync(path.join(dir, "DejaVuSans-Bold.ttf")),
    };
  }
  return fonts;
}

/** "lundi 17 mars 2022", "mardi 1er mars 2022": the end of the window written out, as the letter states it. */
export function frenchLongDate(at: Date): string {
  return longDate(at, { weekday: true });
}

const MM = 72 / 25.4;
const PAGE = { width: 595.28, height: 841.89 };
const MARGIN = 20 * MM;
// Standard French window envelope (DL/C5-6): window 100 × 45 mm, 20 mm from the right, ~50 mm from the top.
const ADDRESS = { x: PAGE.width - 20 * MM - 95 * MM, y: 52 * MM, width: 90 * MM };

export function createLetterDocument(info: LetterBatchInfo): PDFKit.PDFDocument {
  const doc = new PDFDocument({
    size: "A4",
    margins: { top: MARGIN, bottom: MARGIN, left: MARGIN, right: MARGIN },
    autoFirstPage: false,
    compress: info.compress ?? true,
    info: {
      Title: `Mon espace santé — lot ${info.batchLabel}`,
      Author: "Assurance Maladie",
      Producer: "mes-ops",
    },
  });
  const f = letterFonts();
  doc.registerFont("body", f.regular);
  doc.registerFont("bold", f.bold);
  return doc;
}

/**
 * A short text that always fits on one line, placed by hand (left, centred or right-aligned in `width`)
 * with `lineBreak: false`. pdfkit's line wrapper (a line breaker over every character, event listeners,
 * per-word measuring) cost more than drawing such a line; the letter has eight of them per page. The
 * position is pdfkit's own: right = x + width − text width, centre = x + (width − text width) / 2.
 */
function oneLine(
  doc: PDFKit.PDFDocument,
  text: string,
  x: number,
  y: number,
  opts: { width?: number; align?: "center" | "right"; characterSpacing?: number } = {},
): void {
  let at = x;
  if (opts.align && opts.width != null) {
    const textWidth = doc.widthOfString(text, { characterSpacing: opts.characterSpacing });
    at = opts.align === "right" ? x + opts.width - textWidth : x + (opts.width - textWidth) / 2;
  }
  doc.text(text, at, y, { lineBreak: false, characterSpacing: opts.characterSpacing });
  // Where the wrapper leaves the cursor (the next line, back at x): without it pdfkit only advances x.
  doc.x = x;
  doc.y = y + doc.currentLineHeight(true);
}

/**
 * The parts of a page that repeat from one letter to the next — the letterhead and the paragraphs, the
 * same for a whole batch, or for every letter sharing a window end date — are drawn once per document into
 * a PDF form XObject and placed on each page with one operator. A form is how print templates repeat a
 * letterhead; here it spares each page the line breaking, glyph layout and encoding of ~2 000 characters of
 * fixed text (and their compression), which was most of the renderer's time. Text extractors read forms
 * like page content.
 *
 * The operators are those pdfkit writes for the same drawing calls, captured instead of written: the page
 * reads exactly as before. A form runs in a saved graphics state, so what follows it sets its own colours.
 */
export class PageForms {
  private readonly forms = new Map<string, { name: string; ref: PDFKit.PDFKitReference; result: unknown }>();

  constructor(private readonly doc: PDFKit.PDFDocument) {}

  /** Places the form `key` on the current page, drawing it with `draw` the first time; returns draw's result. */
  place<T>(key: string, draw: () => T): T {
    const doc = this.doc;
    let form = this.forms.get(key);
    if (!form) {
      const ops: string[] = [];
      const addContent = doc.addContent;
      doc.addContent = (data: string) => {
        ops.push(data);
        return doc;
      };
      let result: T;
      try {
        result = draw();
      } finally {
        doc.addContent = addContent;
      }
      const ref = doc.ref({
        Type: "XObject",
        Subtype: "Form",
        BBox: [0, 0, PAGE.width, PAGE.height],
        // The fonts the drawing registered on this page (a superset at worst): same font objects, same glyph ids.
        Resources: { Font: { ...doc.page.fonts } },
      });
      ref.end(ops.join("\n"));
      form = { name: `Letter${this.forms.size + 1}`, ref, result };
      this.forms.set(key, form);
    }
    doc.page.xobjects[form.name] = form.ref;
    doc.addContent(`/${form.name} Do`);
    return form.result as T;
  }
}

/**
 * Draws one letter on a new page of `doc`, with the document's `forms` (one PageForms per document: its
 * forms belong to that document). Everything stays inside the margins: exactly one page.
 */
export function drawLetter(
  doc: PDFKit.PDFDocument,
  info: LetterBatchInfo,
  letter: LetterData,
  forms: PageForms,
): void {
  doc.addPage();
  const left = MARGIN;
  const width = PAGE.width - 2 * MARGIN;
  const para = (text: string) => {
    doc.text(text, left, doc.y + 6, { width, align: "justify", lineGap: 1.2 });
  };
  const boxW = 110 * MM;
  const boxX = left + (width - boxW) / 2;

  // Letterhead, date, opening paragraphs and the code's frame: the same on every page of the batch.
  const boxY = forms.place("head", () => {
    doc
      .font("bold")
      .fontSize(15)
      .fillColor("#0c419a")
      .text("l'Assurance Maladie", left, MARGIN, { lineBreak: false });
    doc.font("body").fontSize(8.5).fillColor("#333333");
    doc.text("Agir ensemble, protéger chacun", left, MARGIN + 19, { lineBreak: false });
    doc.text("Service Mon espace santé — TSA 90000 — 75948 Paris Cedex 19", left, MARGIN + 31, {
      lineBreak: false,
    });
    doc.fillColor("#000000");
    let y = 105 * MM;
    doc.font("body").fontSize(9.5);
    oneLine(doc, `Le ${longDate(info.issuedAt)}`, left, y, { width, align: "right" });
    y += 18;
    doc.font("bold").fontSize(11);
    oneLine(doc, "Objet : votre profil Mon espace santé", left, y);
    y = doc.y + 10;
    doc.font("body").fontSize(10);
    oneLine(doc, "Madame, Monsieur,", left, y);
    para(
      "L'Assurance Maladie et le ministère chargé de la Santé vous proposent Mon espace santé, un service public, gratuit et sécurisé, pour stocker et partager vos documents et données de santé : ordonnances, résultats d'examens, comptes rendus d'hospitalisation, vaccinations. Vous choisissez ce que vous partagez avec les professionnels de santé qui vous suivent, et pouvez échanger avec eux par une messagerie sécurisée.",
    );
    para(
      "Pour activer votre espace, rendez-vous sur monespacesante.fr, munissez-vous de votre carte Vitale et saisissez le code provisoire personnel ci-dessous :",
    );
    const top = doc.y + 10;
    doc
      .lineWidth(1.5)
      .strokeColor("#0c419a")
      .rect(boxX, top, boxW, 24 * MM)
      .stroke();
    doc.font("body").fontSize(8.5);
    oneLine(doc, "Votre code provisoire", boxX, top + 7, { width: boxW, align: "center" });
    return top;
  });

  // The person: address in the envelope's window, the code and its expiry.
  doc.font("body").fontSize(10.5).fillColor("#000000");
  const name = `${letter.firstName} ${letter.lastName.toUpperCase()}`;
  const lines = [
    name,
    letter.addressLine ?? "",
    `${letter.postalCode ?? ""} ${(letter.city ?? "").toUpperCase()}`.trim(),
  ];
  doc.text(lines.filter(Boolean).join("\n"), ADDRESS.x, ADDRESS.y, { width: ADDRESS.width, lineGap: 1 });
  doc.font("bold").fontSize(18);
  oneLine(doc, letter.code, boxX, boxY + 22, { width: boxW, align: "center", characterSpacing: 1 });
  doc.font("body").fontSize(8.5);
  oneLine(doc, `valable jusqu'au ${longDate(letter.codeExpiresAt)}`, boxX, boxY + 50, {
    width: boxW,
    align: "center",
  });

  // The closing paragraphs depend only on the window's end date, shared by the letters of a batch.
  // Non-breaking spaces: the date never splits across lines.
  const until = frenchLongDate(letter.windowEnd).replaceAll(" ", "\u00a0");
  forms.place(`until:${until}`, () => {
    doc.y = boxY + 24 * MM + 4;
    doc.font("body").fontSize(10).fillColor("#000000");
    para(
      `Vous ne souhaitez pas de Mon espace santé ? Vous pouvez vous y opposer jusqu'au ${until} inclus, en ligne sur monespacesante.fr avec ce même code, ou en appelant le 34\u00a022 (service gratuit + prix d'un appel), du lundi au vendredi de 8\u00a0h\u00a030 à 17\u00a0h\u00a030.`,
    );
    para(
      `Sans démarche de votre part, votre espace sera créé automatiquement après le ${until}. Vous pourrez ensuite, à tout moment, le fermer ou vous y opposer.`,
    );
    para(
      "Ce code est personnel et confidentiel. L'Assurance Maladie ne vous le demandera jamais par téléphone, par SMS ou par e-mail.",
    );
    para("Nous vous prions d'agréer, Madame, Monsieur, l'expression de nos salutations distinguées.");
    doc.font("bold");
    oneLine(doc, "Votre caisse d'Assurance Maladie", left, doc.y + 10, { width, align: "right" });
  });

  // Footer: placed with lineBreak false so it can never push a second page.
  doc
    .font("body")
    .fontSize(7.5)
    .fillColor("#555555")
    .text(`Lot ${info.batchLabel} — n° ${letter.sequence}`, left, PAGE.height - MARGIN - 4, {
      lineBreak: false,
    });
  doc.fillColor("#000000");
}

/** Renders a batch of letters into `out` (a file stream, a buffer collector). Resolves when flushed. */
export async function renderLetters(
  info: LetterBatchInfo,
  letters: Iterable<LetterData>,
  out: Writable,
): Promise<number> {
  const doc = createLetterDocument(info);
  const done = new Promise<void>((resolve, reject) => {
    out.on("finish", resolve);
    out.on("error", reject);
    doc.on("error", reject);
  });
  doc.pipe(out);
  const forms = new PageForms(doc);
  let count = 0;
  for (const letter of letters) {
    drawLetter(doc, info, letter, forms);
    count++;
  }
  doc.end();
  await done;
  return count;
}

/** The same, into memory (preview, tests). */
export async function renderLettersToBuffer(info: LetterBatchInfo, letters: LetterData[]): Promise<Buffer> {
  const { PassThrough } = await import("node:stream");
  const sink = new PassThrough();
  const chunks: Buffer[] = [];
  sink.on("data", (c: Buffer) => chunks.push(c));
  await renderLetters(info, letters, sink);
  return Buffer.concat(chunks);
}
