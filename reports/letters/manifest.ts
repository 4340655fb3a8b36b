/**
 * The print house's manifest: one CSV line per letter of a batch, in the PDF's order (sorted by postal code
 * for the mail presort). `;`-separated, UTF-8 with BOM, CRLF, fields quoted when needed.
 */
export interface ManifestLine {
  batch: string;
  sequence: number;
  name: string;
  addressLine: string | null;
  postalCode: string | null;
  city: string | null;
}

function field(value: string | number | null): string {
  const s = value == null ? "" : String(value);
  return /[";\r\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
}

export function manifestCsv(lines: ManifestLine[]): string {
  const header = ["lot", "sequence", "nom", "adresse", "code_postal", "ville"].join(";");
  const body = lines.map((l) =>
    [l.batch, l.sequence, l.name, l.addressLine, l.postalCode, l.city].map(field).join(";"),
  );
  return `\uFEFF${[header, ...body].join("\r\n")}\r\n`;
}
