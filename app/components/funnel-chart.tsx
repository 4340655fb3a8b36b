import { useEffect, useState } from "react";
import { CartesianGrid, Legend, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";
import type { FunnelDayView, FunnelState } from "~/domain/funnel/funnel";
import { SUPPRESSED_LABEL } from "~/domain/kpi/suppression";

const SERIES: Array<{ key: FunnelState; label: string; color: string }> = [
  { key: "notified", label: "Notifications", color: "#000091" },
  { key: "activated", label: "Activations", color: "#18753c" },
  { key: "opposed", label: "Oppositions", color: "#e1000f" },
  { key: "auto_created", label: "Créations automatiques", color: "#6a6af4" },
  { key: "closed", label: "Clôtures", color: "#b34000" },
];

function DayTable({ series }: { series: FunnelDayView[] }) {
  if (series.length === 0) return <p className="empty">Aucun mouvement sur la période choisie.</p>;
  return (
    // biome-ignore lint/a11y/noNoninteractiveTabindex: a scrollable table must be reachable with the keyboard (axe)
    <section className="table-wrap funnel-table" tabIndex={0} aria-label="Mouvements par jour">
      <table className="table">
        <caption className="sr-only">Mouvements par jour</caption>
        <thead>
          <tr>
            <th scope="col">Jour</th>
            {SERIES.map((s) => (
              <th key={s.key} scope="col" className="num">
                {s.label}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {series.map((d) => (
            <tr key={d.day}>
              <th scope="row">{d.day.split("-").reverse().join("/")}</th>
              {SERIES.map((s) => (
                <td key={s.key} className="num">
                  {d.cells[s.key].text}
                </td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}

/**
 * The daily series, as presented for the reader (suppressed cells have no value: gaps in the chart,
 * « < 10 » in the table): a chart once hydrated (recharts measures the DOM), a table on the server and on
 * demand.
 */
export function FunnelChart({ series, csvHref }: { series: FunnelDayView[]; csvHref: string }) {
  const [mounted, setMounted] = useState(false);
  const [view, setView] = useState<"chart" | "table">("chart");
  useEffect(() => setMounted(true), []);
  const data = series.map((d) => ({
    tick: `${d.day.slice(8, 10)}/${d.day.slice(5, 7)}`,
    ...Object.fromEntries(SERIES.map((s) => [s.key, d.cells[s.key].value])),
  }));
  return (
    <section className="card" aria-labelledby="funnel-series-title">
      <div className="page-header">
        <h2 id="funnel-series-title">Mouvements par jour</h2>
        <div className="toolbar">
          <button
            type="button"
            className="button button-secondary button-small"
            aria-pressed={view === "table"}
            onClick={() => setView(view === "chart" ? "table" : "chart")}
            disabled={!mounted}
          >
            {view === "chart" ? "Afficher le tableau" : "Afficher le graphique"}
          </button>
          <a className="button button-secondary button-small" href={csvHref} download>
            Télécharger en CSV
          </a>
        </div>
      </div>
      {mounted && view === "chart" && series.length > 0 ? (
        <div
          className="funnel-chart"
          role="img"
          aria-label="Graphique des mouvements par jour ; les valeurs sont dans la vue tableau."
        >
          <ResponsiveContainer width="100%" height="100%">
            <LineChart data={data} margin={{ top: 8, right: 16, bottom: 8, left: 8 }}>
              <CartesianGrid stroke="#eee" vertical={false} />
              <XAxis dataKey="tick" tick={{ fontSize: 12 }} minTickGap={12} />
              <YAxis tick={{ fontSize: 12 }} width={64} allowDecimals={false} />
              <Tooltip
                formatter={(v: unknown) =>
                  typeof v === "number" ? v.toLocaleString("fr-FR") : SUPPRESSED_LABEL
                }
              />
              <Legend />
              {SERIES.map((s) => (
                <Line
                  key={s.key}
                  dataKey={s.key}
                  name={s.label}
                  stroke={s.color}
                  dot={false}
                  strokeWidth={2}
                />
              ))}
            </LineChart>
          </ResponsiveContainer>
        </div>
      ) : (
        <DayTable series={series} />
      )}
    </section>
  );
}
