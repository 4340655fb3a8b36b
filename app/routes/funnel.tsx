import type { LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { Form, Link, useLoaderData, useSearchParams } from "@remix-run/react";
import { FunnelChart } from "~/components/funnel-chart";
import { Pagination } from "~/components/pagination";
import { requirePermission } from "~/domain/auth/guards.server";
import { parseFunnelFilters } from "~/domain/funnel/filters";
import {
  FUNNEL_EXACT_NOTE,
  FUNNEL_LABELS,
  FUNNEL_SUPPRESSION_NOTE,
  funnelAudience,
  funnelView,
} from "~/domain/funnel/funnel";
import { loadFunnel } from "~/domain/funnel/funnel.server";

export const meta: MetaFunction = () => [{ title: "Entonnoir de la campagne — mes-ops" }];

const PAGE_SIZE = 50;

/**
 * Aggregates only (the ministry may read it): counts per department and wave, never a person. What leaves
 * the server is already presented for the reader (funnelView): small counts suppressed unless they get
 * exact counts.
 */
export async function loader({ request, context }: LoaderFunctionArgs) {
  const user = await requirePermission(request, context, "funnel:read");
  const params = new URL(request.url).searchParams;
  const filters = parseFunnelFilters(params);
  const model = await loadFunnel(context.db, filters);
  const view = funnelView(model, funnelAudience(user));
  const pages = Math.max(1, Math.ceil(view.rows.length / PAGE_SIZE));
  const page = Math.min(pages, Math.max(1, Number(params.get("page")) || 1));
  return {
    filters,
    audience: view.audience,
    canReadKpi: user.permissions.has("kpi:read"),
    totals: view.totals,
    totalRates: view.totalRates,
    rows: view.rows.slice((page - 1) * PAGE_SIZE, page * PAGE_SIZE),
    rowCount: view.rows.length,
    page,
    pages,
    series: view.series,
    departments: model.departments,
    waves: model.waves,
  };
}

export default function FunnelPage() {
  const data = useLoaderData<typeof loader>();
  const [params] = useSearchParams();
  const { totals, totalRates, filters } = data;
  const exportParams = new URLSearchParams(params);
  exportParams.delete("page");
  const pageHref = (p: number) => {
    const q = new URLSearchParams(params);
    q.set("page", String(p));
    return `?${q.toString()}`;
  };
  return (
    <>
      <div className="page-header">
        <div>
          <h1>Entonnoir de la campagne</h1>
          <p className="muted">
            Notifiés, activés, opposés, créés automatiquement et clôturés, par département et par vague.
            Chiffres agrégés, à jour à chaque transition.
          </p>
          <p data-note="funnel-source">
            Cette page compte les assurés enregistrés dans cette base (importés dans mes-ops par les fichiers
            d'assurés et suivis par leurs changements d'état) : ce ne sont pas les chiffres nationaux de la
            feuille de route, présentés sur la page{" "}
            {data.canReadKpi ? <Link to="/kpi">Indicateurs</Link> : "Indicateurs"}.
          </p>
        </div>
      </div>

      <Form method="get" className="toolbar card" aria-label="Filtres de l'entonnoir">
        <div className="field">
          <label htmlFor="department">Département</label>
          <select id="department" name="department" defaultValue={filters.department ?? ""}>
            <option value="">Tous</option>
            {data.departments.map((d) => (
              <option key={d} value={d}>
                {d}
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor="wave">Vague</label>
          <select id="wave" name="wave" defaultValue={filters.waveId ?? ""}>
            <option value="">Toutes</option>
            {data.waves.map((w) => (
              <option key={w.id} value={w.id}>
                {w.name}
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor="from">Du</label>
          <input id="from" name="from" type="date" defaultValue={filters.from} />
        </div>
        <div className="field">
          <label htmlFor="to">Au</label>
          <input id="to" name="to" type="date" defaultValue={filters.to} />
        </div>
        <button type="submit" className="button">
          Filtrer
        </button>
      </Form>

      <p className="hint" data-audience={data.audience}>
        {data.audience === "suppressed" ? FUNNEL_SUPPRESSION_NOTE : FUNNEL_EXACT_NOTE}
      </p>

      <section className="grid" aria-label="Totaux">
        {(["reached", "notified", "activated", "opposed", "auto_created", "closed"] as const).map((k) => (
          <div key={k} className="stat" data-stat={k}>
            <div className="stat-label">{FUNNEL_LABELS[k]}</div>
            <div className="stat-value">{totals[k].text}</div>
            {k !== "reached" ? <div className="hint">{totalRates[k]} des notifiés</div> : null}
          </div>
        ))}
      </section>

      <section className="card" aria-labelledby="funnel-table-title">
        <h2 id="funnel-table-title">Par département et par vague</h2>
        {data.rowCount === 0 ? (
          <p className="empty">Aucun assuré notifié pour ces filtres.</p>
        ) : (
          <>
            {/* biome-ignore lint/a11y/noNoninteractiveTabindex: a scrollable table must be keyboard-reachable */}
            <section className="table-wrap" tabIndex={0} aria-label="Entonnoir par département et par vague">
              <table className="table">
                <thead>
                  <tr>
                    <th scope="col">Département</th>
                    <th scope="col">Vague</th>
                    <th scope="col" className="num">
                      Notifiés
                    </th>
                    <th scope="col" className="num">
                      Dans la fenêtre
                    </th>
                    <th scope="col" className="num">
                      Activés
                    </th>
                    <th scope="col" className="num">
                      Opposés
                    </th>
                    <th scope="col" className="num">
                      Créés auto.
                    </th>
                    <th scope="col" className="num">
                      Clôturés
                    </th>
                    <th scope="col" className="num">
                      Taux d'activation
                    </th>
                    <th scope="col" className="num">
                      Taux d'opposition
                    </th>
                  </tr>
                </thead>
                <tbody>
                  {data.rows.map((r) => (
                    <tr key={`${r.department}/${r.waveId}`}>
                      <th scope="row">{r.department}</th>
                      <td>{r.waveName}</td>
                      <td className="num">{r.cells.reached.text}</td>
                      <td className="num">{r.cells.notified.text}</td>
                      <td className="num">{r.cells.activated.text}</td>
                      <td className="num">{r.cells.opposed.text}</td>
                      <td className="num">{r.cells.auto_created.text}</td>
                      <td className="num">{r.cells.closed.text}</td>
                      <td className="num">{r.rates.activated}</td>
                      <td className="num">{r.rates.opposed}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </section>
            {data.pages > 1 ? (
              <Pagination label="Pagination" page={data.page} pages={data.pages} href={pageHref} />
            ) : null}
          </>
        )}
      </section>

      <FunnelChart series={data.series} csvHref={`/funnel/export?${exportParams.toString()}`} />
    </>
  );
}
