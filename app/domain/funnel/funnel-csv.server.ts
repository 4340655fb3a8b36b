import { type CsvCell, csvDocument, csvNumber } from "../../../reports/csv/csv-writer";
import { type FunnelDay, type FunnelRow, rate } from "./funnel";

/** A rate as a percentage with one decimal, or an empty cell when nobody was reached. */
function percentCell(value: number | null): CsvCell {
  return value === null ? "" : csvNumber(value * 100, 1);
}

/** CSV for French spreadsheets: `;` separator, decimal comma, UTF-8 with BOM, CRLF. */
export function funnelCsv(rows: FunnelRow[], series: FunnelDay[]): string {
  const lines: CsvCell[][] = [
    [
      "Département",
      "Vague",
      "Notifiés",
      "Dans la fenêtre",
      "Activés",
      "Opposés",
      "Créés automatiquement",
      "Clôturés",
      "Taux d'activation (%)",
      "Taux d'opposition (%)",
      "Taux de création automatique (%)",
    ],
  ];
  for (const r of rows) {
    lines.push([
      r.department,
      r.waveName,
      r.reached,
      r.notified,
      r.activated,
      r.opposed,
      r.auto_created,
      r.closed,
      percentCell(rate(r.activated, r)),
      percentCell(rate(r.opposed, r)),
      percentCell(rate(r.auto_created, r)),
    ]);
  }
  lines.push([]);
  lines.push(["Jour", "Notifications", "Activations", "Oppositions", "Créations automatiques", "Clôtures"]);
  for (const d of series) {
    lines.push([d.day, d.notified, d.activated, d.opposed, d.auto_created, d.closed]);
  }
  return csvDocument(lines);
}
