import { csvDocument } from "../csv/csv-writer";

/**
 * The print house's manifest: one CSV line per letter of a batch, in the PDF's order (sorted by postal code
 * for the mail presort). `;`-separated, UTF-8 with BOM, CRLF, through the one CSV writer (names and
 * addresses come from rolls: a cell that Excel would run as a formula is neutralised).
 */
export interface ManifestLine {
  batch: string;
  sequence: number;
  name: string;
  addressLine: string | null;
  postalCode: string | null;
  city: string | null;
}

export function manifestCsv(lines: ManifestLine[]): string {
  return csvDocument([
    ["lot", "sequence", "nom", "adresse", "code_postal", "ville"],
    ...lines.map((l) => [l.batch, l.sequence, l.name, l.addressLine, l.postalCode, l.city]),
  ]);
}
