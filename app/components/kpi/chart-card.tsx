import { useEffect, useId, useState } from "react";
import {
  Area,
  Bar,
  CartesianGrid,
  ComposedChart,
  Legend,
  Line,
  ReferenceLine,
  ResponsiveContainer,
  Tooltip,
  XAxis,
  YAxis,
} from "recharts";
import { type ChartTable, chartPoints, presentRows } from "~/domain/kpi/chart-tables";
import { formatCompactFr, formatMonthShortFr, formatNumberFr, formatPercentFr } from "~/domain/kpi/format";
import { KIND_LABELS, type SeriesKind } from "~/domain/kpi/reference";

/** recharts measures the DOM: render it only in the browser, after hydration; the table is the SSR view. */
function useMounted(): boolean {
  const [mounted, setMounted] = useState(false);
  useEffect(() => setMounted(true), []);
  return mounted;
}

const COLORS = ["#000091", "#6a6af4", "#e1000f", "#18753c", "#b34000"];

function Chart({ table, target }: { table: ChartTable; target?: { value: number; label: string } | null }) {
  const data = chartPoints(table).map((p) => ({
    ...p,
    tick: table.rowHeader === "Mois" ? formatMonthShortFr(String(p.key)) : String(p.label),
  }));
  const percent = table.columns[0]?.unit === "percent";
  const formatY = (v: number) => (percent ? formatPercentFr(v, 0) : formatCompactFr(v));
  const formatTip = (v: unknown) =>
    typeof v === "number" ? (percent ? formatPercentFr(v) : formatNumberFr(v)) : "< 10 ou absent";
  const key = (k: string) => table.columns.find((c) => c.key === k)?.label ?? k;
  // Published figures and goals: diamonds on the chart, their source in the tooltip.
  const markers = table.columns
    .filter((c) => c.marker)
    .map((c, i) => (
      <Line
        isAnimationActive={false}
        key={`m-${c.key}`}
        dataKey={c.key}
        name={`${c.label} (source au survol)`}
        // No line between the points; the stroke colour is the legend's.
        stroke={i === 0 ? "#18753c" : "#b34000"}
        strokeWidth={0}
        fill={i === 0 ? "#18753c" : "#b34000"}
        legendType="diamond"
        activeDot={false}
        // Markers only (a Line without its stroke: one row index for every series, so the tooltip reads one
        // month); a row without a figure draws nothing.
        dot={(props: { key?: string; cx?: number; cy?: number; value?: unknown }) =>
          typeof props.value === "number" && typeof props.cx === "number" && typeof props.cy === "number" ? (
            <path
              key={props.key}
              className="kpi-marker"
              d={`M${props.cx} ${props.cy - 7}L${props.cx + 7} ${props.cy}L${props.cx} ${props.cy + 7}L${props.cx - 7} ${props.cy}Z`}
              fill={i === 0 ? "#18753c" : "#b34000"}
              stroke="#fff"
            />
          ) : (
            <g key={props.key} />
          )
        }
      />
    ));
  const series = () => {
    switch (table.id) {
      case "activated-stock":
        return [
          <Line
            isAnimationActive={false}
            key="c"
            dataKey="cumulative"
            name={key("cumulative")}
            stroke="#000091"
            dot={false}
            strokeWidth={2}
          />,
        ];
      case "documents-sectors":
        return [
          <Bar isAnimationActive={false} key="v" dataKey="value" name={key("value")} fill="#000091" />,
          <Bar isAnimationActive={false} key="t" dataKey="target" name={key("target")} fill="#e1000f" />,
        ];
      case "connections":
        return [
          <Bar
            isAnimationActive={false}
            key="w"
            dataKey="web"
            name={key("web")}
            stackId="c"
            fill="#000091"
          />,
          <Bar
            isAnimationActive={false}
            key="a"
            dataKey="app"
            name={key("app")}
            stackId="c"
            fill="#9a9aff"
          />,
        ];
      case "documents-years":
        return [
          <Bar isAnimationActive={false} key="a" dataKey="actual" name={key("actual")} fill="#000091" />,
          <Bar
            isAnimationActive={false}
            key="p"
            dataKey="projected"
            name={key("projected")}
            fill="#9a9aff"
          />,
          <Line
            isAnimationActive={false}
            key="t"
            dataKey="target"
            name={key("target")}
            stroke="#e1000f"
            strokeWidth={2}
            connectNulls
            dot={{ r: 4 }}
          />,
        ];
      case "vendors":
        return [
          <Area
            isAnimationActive={false}
            key="r"
            dataKey="referenced"
            name={key("referenced")}
            stackId="v"
            fill="#000091"
            stroke="#000091"
            fillOpacity={0.8}
          />,
          <Area
            isAnimationActive={false}
            key="p"
            dataKey="inProgress"
            name={key("inProgress")}
            stackId="v"
            fill="#9a9aff"
            stroke="#6a6af4"
            fillOpacity={0.8}
          />,
          <Line
            isAnimationActive={false}
            key="t"
            dataKey="total"
            name={key("total")}
            stroke="#e1000f"
            dot={false}
            strokeWidth={2}
          />,
        ];
      case "documents-trajectory":
      case "doctors":
        return [
          <Line
            isAnimationActive={false}
            key="v"
            dataKey={table.columns[0].key}
            name={table.columns[0].label}
            stroke="#000091"
            dot={false}
            strokeWidth={2}
          />,
          <Line
            isAnimationActive={false}
            key="p"
            dataKey="projected"
            name={key("projected")}
            stroke="#6a6af4"
            strokeDasharray="6 4"
            dot={false}
            strokeWidth={2}
          />,
          <Line
            isAnimationActive={false}
            key="t"
            dataKey="target"
            name={key("target")}
            stroke="#e1000f"
            strokeDasharray="3 3"
            dot={false}
          />,
        ];
      case "helpline":
        return [<Bar isAnimationActive={false} key="c" dataKey="cases" name={key("cases")} fill="#000091" />];
      default:
        return table.columns.map((c, i) => (
          <Line
            isAnimationActive={false}
            key={c.key}
            dataKey={c.key}
            name={c.label}
            stroke={COLORS[i % COLORS.length]}
            dot={false}
            strokeWidth={2}
          />
        ));
    }
  };
  return (
    <div
      className="kpi-chart"
      role="img"
      aria-label={`Graphique : ${table.title}. Les valeurs sont dans la vue tableau.`}
    >
      <ResponsiveContainer width="100%" height="100%">
        <ComposedChart data={data} margin={{ top: 8, right: 16, bottom: 8, left: 8 }}>
          <CartesianGrid stroke="#eee" vertical={false} />
          <XAxis
            dataKey="tick"
            tick={{ fontSize: 12 }}
            minTickGap={12}
            // Categories (years, sectors) are few: every label; months thin out.
            interval={table.rowHeader === "Mois" ? "preserveEnd" : 0}
          />
          <YAxis
            tickFormatter={formatY}
            tick={{ fontSize: 12 }}
            width={64}
            domain={percent && table.id !== "documents-sectors" ? [0, 100] : [0, "auto"]}
          />
          <Tooltip
            formatter={formatTip}
            labelFormatter={(label, payload) => {
              const rowKey = payload?.[0]?.payload?.key;
              const source = typeof rowKey === "string" ? table.pointSources?.[rowKey] : undefined;
              return source ? `${label} — ${source}` : label;
            }}
            wrapperStyle={{ maxWidth: 420, whiteSpace: "normal" }}
          />
          <Legend />
          {target ? (
            <ReferenceLine y={target.value} stroke="#e1000f" strokeDasharray="4 4" label={target.label} />
          ) : null}
          {series()}
          {table.id === "documents-sectors" ? null : markers}
        </ComposedChart>
      </ResponsiveContainer>
    </div>
  );
}

function DataTable({ table, captionId }: { table: ChartTable; captionId: string }) {
  const rows = presentRows(table);
  return (
    // A scrollable region must be reachable with the keyboard (axe: scrollable-region-focusable).
    // biome-ignore lint/a11y/noNoninteractiveTabindex: keyboard users scroll the table with the arrow keys
    <section className="table-wrap kpi-table" tabIndex={0} aria-labelledby={captionId}>
      <table className="table">
        <caption className="sr-only" id={captionId}>
          {table.title}
        </caption>
        <thead>
          <tr>
            <th scope="col">{table.rowHeader}</th>
            {table.columns.map((c) => (
              <th key={c.key} scope="col" className="num">
                {c.label}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {rows.map((r) => (
            <tr key={r.label}>
              <th scope="row">{r.label}</th>
              {r.cells.map((c, i) => (
                <td key={table.columns[i].key} className="num">
                  {c}
                </td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}

const KIND_BADGES: Record<SeriesKind, string> = {
  published: "badge badge-success",
  computed: "badge",
  received: "badge",
  demo: "badge badge-warning",
};

/** Where a chart's figures come from, as badges: « publié », « calculé par mes-ops », « démo ». */
export function KindBadges({ kinds }: { kinds: SeriesKind[] }) {
  if (kinds.length === 0) return null;
  return (
    <p className="kpi-kinds" data-kinds={kinds.join(" ")}>
      {kinds.map((k) => (
        <span key={k} className={KIND_BADGES[k]}>
          {KIND_LABELS[k]}
        </span>
      ))}
    </p>
  );
}

/** One chart with its table view toggle and its CSV download. */
export function ChartCard({
  table,
  csvHref,
  note,
  target,
}: {
  table: ChartTable;
  csvHref: string;
  note?: string;
  target?: { value: number; label: string } | null;
}) {
  const mounted = useMounted();
  const [view, setView] = useState<"chart" | "table">("chart");
  const titleId = useId();
  const showChart = mounted && view === "chart" && !table.tableOnly;
  return (
    <section className="card kpi-card" aria-labelledby={titleId} data-chart={table.id}>
      <div className="kpi-card-header">
        <div>
          <h2 id={titleId}>{table.title}</h2>
          <KindBadges kinds={table.kinds ?? []} />
        </div>
        <div className="kpi-card-actions">
          {table.tableOnly ? null : (
            <button
              type="button"
              className="button button-secondary button-small"
              aria-pressed={view === "table"}
              onClick={() => setView(view === "chart" ? "table" : "chart")}
              disabled={!mounted}
            >
              {view === "chart" ? "Afficher le tableau" : "Afficher le graphique"}
            </button>
          )}
          <a className="button button-secondary button-small" href={csvHref} download>
            Télécharger en CSV
          </a>
        </div>
      </div>
      {showChart ? (
        <Chart table={table} target={target} />
      ) : (
        <DataTable table={table} captionId={`${titleId}-caption`} />
      )}
      {note ? <p className="hint">{note}</p> : null}
      {table.note ? <p className="hint">{table.note}</p> : null}
      {table.pointSources && Object.keys(table.pointSources).length > 0 ? (
        <ul className="hint kpi-point-sources">
          {Object.entries(table.pointSources).map(([rowKey, source]) => (
            <li key={rowKey}>{source}</li>
          ))}
        </ul>
      ) : null}
    </section>
  );
}
