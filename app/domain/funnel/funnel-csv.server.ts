import { type CsvCell, csvDocument, csvNumber } from "../../../reports/csv/csv-writer";
import {
  FUNNEL_STATES,
  type FunnelAudience,
  type FunnelDay,
  type FunnelRow,
  presentCount,
  presentedRate,
} from "./funnel";

/** A rate as a percentage with one decimal, or an empty cell when nobody was reached (or it is masked). */
function percentCell(value: number | null): CsvCell {
  return value === null ? "" : csvNumber(value * 100, 1);
}

/** A count as a number, or « < 10 » when the audience gets suppressed cells (the one rule). */
function countCell(value: number, audience: FunnelAudience): CsvCell {
  const cell = presentCount(value, audience, "csv");
  return cell.value === null ? cell.text : cell.value;
}

/** CSV for French spreadsheets: `;` separator, decimal comma, UTF-8 with BOM, CRLF. */
export function funnelCsv(rows: FunnelRow[], series: FunnelDay[], audience: FunnelAudience): string {
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
      ...(["reached", "notified", "activated", "opposed", "auto_created", "closed"] as const).map((k) =>
        countCell(r[k], audience),
      ),
      percentCell(presentedRate(r.activated, r, audience)),
      percentCell(presentedRate(r.opposed, r, audience)),
      percentCell(presentedRate(r.auto_created, r, audience)),
    ]);
  }
  lines.push([]);
  lines.push(["Jour", "Notifications", "Activations", "Oppositions", "Créations automatiques", "Clôtures"]);
  for (const d of series) {
    lines.push([d.day, ...FUNNEL_STATES.map((k) => countCell(d[k], audience))]);
  }
  return csvDocument(lines);
}
