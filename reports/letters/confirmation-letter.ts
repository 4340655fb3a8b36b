import { createRequire } from "node:module";
import type { Writable } from "node:stream";
import PDFDocument from "pdfkit";

/**
 * The one-page letter confirming an opposition or a closure recorded by the 34 22, for the print house.
 * Plain data in, bytes out: the helpline's confirmation use case words it and says where it goes.
 */
export interface ConfirmationLetterData {
  /** "Prénom Nom", as printed at the top. */
  recipient: string;
  /** The postal address, one printed line each (empty lines already left out). */
  addressLines: string[];
  /** The letter's text, paragraphs separated by blank lines. */
  body: string;
}

const require = createRequire(import.meta.url);
let fontPath: string | null = null;

/** Renders the letter into `out` (a file stream, a buffer collector). Resolves when flushed. */
export function renderConfirmationLetter(letter: ConfirmationLetterData, out: Writable): Promise<void> {
  fontPath ??= require.resolve("dejavu-fonts-ttf/ttf/DejaVuSans.ttf");
  const text = `${letter.recipient}\n${letter.addressLines.join("\n")}\n\n\n${letter.body}`;
  return new Promise((resolve, reject) => {
    const doc = new PDFDocument({ size: "A4", margin: 60 });
    out.on("finish", () => resolve());
    out.on("error", reject);
    doc.pipe(out);
    doc.registerFont("body", fontPath as string);
    doc.font("body").fontSize(11).text(text, { lineGap: 4 });
    doc.end();
  });
}
