import type { LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { Form, Link, useLoaderData, useNavigation } from "@remix-run/react";
import { ChartCard, KindBadges } from "~/components/kpi/chart-card";
import { requirePermission } from "~/domain/auth/guards.server";
import { chartTables, withheldTable } from "~/domain/kpi/chart-tables";
import {
  currentParisMonth,
  filtersQuery,
  hasDemoData,
  loadDashboard,
  parseDashboardFilters,
} from "~/domain/kpi/dashboard.server";
import { formatMonthFr, formatPercentFr } from "~/domain/kpi/format";
import { formatPublishedOn, KIND_LABELS } from "~/domain/kpi/reference";
import { STATUS_LABELS, type TargetStatus } from "~/domain/kpi/status";
import { presentCell } from "~/domain/kpi/suppression";

export const meta: MetaFunction = () => [{ title: "Indicateurs de la feuille de route — mes-ops" }];

export async function loader({ request, context }: LoaderFunctionArgs) {
  const user = await requirePermission(request, context, "kpi:read");
  const today = currentParisMonth();
  const filters = parseDashboardFilters(new URL(request.url).searchParams, today);
  const [model, demo] = await Promise.all([
    loadDashboard(context.db, filters, today),
    hasDemoData(context.db),
  ]);
  return {
    filters,
    today,
    query: filtersQuery(filters),
    demo,
    canWrite: user.permissions.has("kpi:write"),
    canReadFunnel: user.permissions.has("funnel:read"),
    tables: chartTables(model).map(withheldTable),
    // Key figures leave the server suppressed too (a department's campaign total may be small).
    keyFigures: model.keyFigures.map((k) => ({
      ...k,
      value: presentCell(k.value, k.unit).value,
      valueText: presentCell(k.value, k.unit).text,
    })),
    notes: model.notes,
    reference: referenceRows(model),
    doctorsTarget: model.doctors.target,
    trend: model.documents.trend,
    breakdownGroups: model.indicators
      .filter((i) => i.breakdowns.length > 0 && i.code !== "vendors_in_progress")
      .map((i) => ({
        label:
          i.code === "vendors_referenced"
            ? `Éditeurs Ségur — ${i.breakdownLabel}`
            : `Documents — ${i.breakdownLabel}`,
        values: i.breakdowns,
      })),
    departments: model.departments,
  };
}

/** The published figures as the page prints them, with the same measure from this installation. */
function referenceRows(model: Awaited<ReturnType<typeof loadDashboard>>) {
  const labelOf = new Map(model.indicators.map((i) => [i.code, i]));
  return model.reference.map((r) => {
    const indicator = labelOf.get(r.indicatorCode);
    const unit = indicator?.unit ?? "count";
    const breakdown = indicator?.breakdowns.find((b) => b.code === r.breakdown)?.label;
    return {
      id: r.id,
      indicator: `${indicator?.label ?? r.indicatorCode}${breakdown ? ` — ${breakdown}` : ""}`,
      nature: r.nature === "goal" ? "Objectif" : "Chiffre",
      period: r.periodLabel,
      value: unit === "percent" ? formatPercentFr(r.value, 2) : presentCell(r.value, unit).text,
      here:
        r.here === null
          ? "–"
          : `${unit === "percent" ? formatPercentFr(r.here, 2) : presentCell(r.here, unit).text}${r.hereKinds.length > 0 ? ` (${r.hereKinds.map((k) => KIND_LABELS[k]).join(", ")})` : ""}`,
      publisher: r.source.publisher,
      title: r.source.title,
      url: r.source.url,
      publishedOn: formatPublishedOn(r.source.publishedOn),
      note: r.note,
    };
  });
}

const BADGE: Record<TargetStatus, string> = {
  on_track: "badge badge-success",
  at_risk: "badge badge-warning",
  off_track: "badge badge-error",
};

export function StatusBadge({ status }: { status: TargetStatus | null }) {
  if (!status) return null;
  return <span className={BADGE[status]}>{STATUS_LABELS[status]}</span>;
}

export default function KpiDashboard() {
  const data = useLoaderData<typeof loader>();
  const navigation = useNavigation();
  const busy = navigation.state === "loading" && navigation.location?.pathname === "/kpi";
  return (
    <>
      <div className="page-header">
        <div>
          <h1>Indicateurs de la feuille de route</h1>
          <p className="muted">
            Mon espace santé : usage par les professionnels, référencement Ségur et campagne de déploiement,
            de {formatMonthFr(data.filters.from)} à {formatMonthFr(data.filters.to)}.
          </p>
        </div>
        <div className="kpi-card-actions">
          <a className="button" href={`/kpi/report?${data.query}`} download>
            Télécharger le rapport PDF
          </a>
          <Link className="button button-secondary" to="/kpi/reports">
            Rapports mensuels
          </Link>
          {data.canWrite ? (
            <Link className="button button-secondary" to="/kpi/targets">
              Cibles
            </Link>
          ) : null}
        </div>
      </div>
      {data.demo ? (
        <output className="alert alert-warning">
          Données de démonstration : les séries affichées sont générées et ne sont pas des chiffres réels.
        </output>
      ) : null}
      <div className="alert" data-note="provenance">
        <strong>D'où viennent les chiffres</strong>
        <ul>
          {data.notes.provenance.map((line) => (
            <li key={line}>{line}</li>
          ))}
        </ul>
      </div>
      {data.notes.campaignSource ? (
        <p className="alert" data-note="campaign-source">
          {data.notes.campaignSource}{" "}
          {data.canReadFunnel ? <Link to="/funnel">Voir l'entonnoir de la campagne</Link> : null}
        </p>
      ) : null}
      {data.notes.inProgress ? (
        <p className="alert alert-warning" data-note="month-in-progress">
          {data.notes.inProgress}
        </p>
      ) : null}

      <Form method="get" className="card toolbar" aria-label="Filtres du tableau de bord">
        <div className="field">
          <label htmlFor="kpi-from">Du mois</label>
          <input
            id="kpi-from"
            name="from"
            type="month"
            defaultValue={data.filters.from}
            min="2000-01"
            max={data.today}
          />
        </div>
        <div className="field">
          <label htmlFor="kpi-to">Au mois</label>
          <input
            id="kpi-to"
            name="to"
            type="month"
            defaultValue={data.filters.to}
            min="2000-01"
            max={data.today}
          />
        </div>
        <div className="field">
          <label htmlFor="kpi-breakdown">Ventilation</label>
          <select id="kpi-breakdown" name="breakdown" defaultValue={data.filters.breakdown}>
            <option value="">Toutes (total)</option>
            {data.breakdownGroups.map((g) => (
              <optgroup key={g.label} label={g.label}>
                {g.values.map((v) => (
                  <option key={v.code} value={v.code}>
                    {v.label}
                  </option>
                ))}
              </optgroup>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor="kpi-department">Département (campagne)</label>
          <select id="kpi-department" name="department" defaultValue={data.filters.department}>
            <option value="">France entière</option>
            {data.departments.map((d) => (
              <option key={d} value={d}>
                {d}
              </option>
            ))}
          </select>
        </div>
        <button type="submit" className="button" disabled={busy}>
          {busy ? "Mise à jour…" : "Appliquer les filtres"}
        </button>
        <Link to="/kpi" className="button button-secondary">
          Réinitialiser
        </Link>
      </Form>

      <section aria-labelledby="kpi-key-figures">
        <h2 id="kpi-key-figures">Chiffres clés</h2>
        <div className="grid">
          {data.keyFigures.map((k) => (
            <div key={k.code} className="stat">
              <div className="stat-label">{k.label}</div>
              <div className="stat-value">{k.valueText}</div>
              {k.target !== null ? (
                <div className="hint">
                  Cible {k.targetYear} : {presentCell(k.target, k.unit).text}
                  {k.projected !== null ? ` — projection : ${presentCell(k.projected, k.unit).text}` : ""}
                  {k.attainment !== null ? ` (${formatPercentFr(k.attainment * 100, 1)} de la cible)` : ""}
                </div>
              ) : k.period ? (
                <div className="hint">Jusqu'à {formatMonthFr(k.period)}</div>
              ) : null}
              <StatusBadge status={k.status} />
            </div>
          ))}
        </div>
        <p className="hint kpi-status-rule">{data.notes.status}</p>
      </section>

      <div className="kpi-charts">
        {data.tables.map((table) => (
          <ChartCard
            key={table.id}
            table={table}
            csvHref={`/kpi/export?chart=${table.id}&${data.query}`}
            target={
              table.id === "doctors" && data.doctorsTarget !== null
                ? { value: data.doctorsTarget, label: `Cible ${formatPercentFr(data.doctorsTarget, 0)}` }
                : null
            }
            note={
              table.id === "documents-trajectory" || table.id === "doctors"
                ? data.notes.projection
                : table.id === "funnel"
                  ? `${data.notes.campaignFlows} ${data.notes.suppression}`
                  : undefined
            }
          />
        ))}
      </div>

      <section className="card" aria-labelledby="kpi-reference" data-section="reference">
        <h2 id="kpi-reference">Chiffres publiés</h2>
        <KindBadges kinds={["published"]} />
        <p className="hint">
          Chiffres officiels de la feuille de route, avec leur source et leur date de publication, et la même
          mesure calculée sur les chiffres de cette installation (cumul des activations, somme des documents
          des mêmes mois, oppositions ÷ notifications), avec leur origine.
        </p>
        {/* biome-ignore lint/a11y/noNoninteractiveTabindex: keyboard users scroll the table with the arrow keys */}
        <section className="table-wrap kpi-table kpi-reference" tabIndex={0} aria-labelledby="kpi-reference">
          <table className="table">
            <thead>
              <tr>
                <th scope="col">Indicateur</th>
                <th scope="col">Période</th>
                <th scope="col" className="num">
                  Chiffre publié
                </th>
                <th scope="col" className="num">
                  Même mesure ici
                </th>
                <th scope="col">Source</th>
                <th scope="col">Publié le</th>
              </tr>
            </thead>
            <tbody>
              {data.reference.map((r) => (
                <tr key={r.id}>
                  <th scope="row">
                    {r.indicator}
                    {r.nature === "Objectif" ? " (objectif)" : ""}
                  </th>
                  <td>{r.period}</td>
                  <td className="num">{r.value}</td>
                  <td className="num">{r.here}</td>
                  <td>
                    {r.publisher},{" "}
                    {r.url ? (
                      <a href={r.url} rel="noreferrer noopener" target="_blank">
                        « {r.title} »
                      </a>
                    ) : (
                      <>« {r.title} » (adresse non relevée)</>
                    )}
                    {r.note ? <div className="hint">{r.note}</div> : null}
                  </td>
                  <td>{r.publishedOn}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </section>
      </section>

      <section className="card" aria-labelledby="kpi-method">
        <h2 id="kpi-method">Méthode et sources</h2>
        <p>{data.notes.projection}</p>
        <p>{data.notes.status}</p>
        <p>{data.notes.suppression}</p>
        {data.notes.campaignSource ? <p>{data.notes.campaignSource}</p> : null}
        <p>{data.notes.campaignFlows}</p>
        <ul>
          {data.notes.sources.map((s) => (
            <li key={s}>{s}</li>
          ))}
        </ul>
      </section>
    </>
  );
}
