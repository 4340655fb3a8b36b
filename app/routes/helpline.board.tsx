import type { LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { Form, Link, useLoaderData, useRevalidator } from "@remix-run/react";
import { useEffect } from "react";
import { z } from "zod";
import { requirePermission } from "~/domain/auth/guards.server";
import { loadBoard } from "~/domain/helpline/board.server";
import { PRESENCE_LABELS } from "~/domain/helpline/case";
import { formatDateTime } from "~/domain/lifecycle/paris-time";

export const meta: MetaFunction = () => [{ title: "Supervision 34 22 — mes-ops" }];

const Query = z.object({
  department: z
    .string()
    .trim()
    .toUpperCase()
    .regex(/^(\d{2}|2A|2B|97\d)$/)
    .optional()
    .catch(undefined),
});

export async function loader({ request, context }: LoaderFunctionArgs) {
  await requirePermission(request, context, "helpline:supervise");
  const q = Query.parse(Object.fromEntries(new URL(request.url).searchParams));
  return loadBoard(context.db, { department: q.department ?? null });
}

const REFRESH_MS = 5000;

function waitedFor(since: string | null, at: string): string {
  if (!since) return "—";
  const minutes = Math.max(0, Math.round((new Date(at).getTime() - new Date(since).getTime()) / 60_000));
  if (minutes < 60) return `${minutes} min`;
  const hours = Math.floor(minutes / 60);
  return hours < 48 ? `${hours} h ${minutes % 60} min` : `${Math.floor(hours / 24)} j`;
}

export default function Board() {
  const board = useLoaderData<typeof loader>();
  const revalidator = useRevalidator();
  // Live board: re-run the loader every few seconds while the tab is visible (no full reload).
  useEffect(() => {
    const timer = setInterval(() => {
      if (document.visibilityState === "visible" && revalidator.state === "idle") revalidator.revalidate();
    }, REFRESH_MS);
    return () => clearInterval(timer);
  }, [revalidator]);
  const totals = board.queues.reduce(
    (t, q) => ({
      waiting: t.waiting + q.waiting,
      atRisk: t.atRisk + q.atRisk,
      breached: t.breached + q.breached,
    }),
    { waiting: 0, atRisk: 0, breached: 0 },
  );
  const available = board.agents.filter((a) => a.presence === "available").length;
  return (
    <>
      <div className="page-header">
        <div>
          <h1>Supervision 34 22</h1>
          <p className="muted" aria-live="polite">
            Mis à jour le {formatDateTime(new Date(board.at))} — actualisation automatique toutes les{" "}
            {REFRESH_MS / 1000} s.
          </p>
        </div>
        <Form method="get" className="toolbar">
          <div className="field">
            <label htmlFor="department">Département</label>
            <select id="department" name="department" defaultValue={board.department ?? ""}>
              <option value="">Tous</option>
              {[...new Set([...(board.department ? [board.department] : []), ...board.departments])].map(
                (d) => (
                  <option key={d} value={d}>
                    {d}
                  </option>
                ),
              )}
            </select>
          </div>
          <button type="submit" className="button button-secondary">
            Filtrer
          </button>
        </Form>
      </div>
      <div className="grid">
        <div className="stat">
          <div className="stat-label">En attente</div>
          <div className="stat-value" data-testid="total-waiting">
            {totals.waiting}
          </div>
        </div>
        <div className="stat">
          <div className="stat-label">SLA à risque</div>
          <div className="stat-value">{totals.atRisk}</div>
        </div>
        <div className="stat">
          <div className="stat-label">SLA dépassés</div>
          <div className="stat-value">{totals.breached}</div>
        </div>
        <div className="stat">
          <div className="stat-label">Conseillers disponibles</div>
          <div className="stat-value">
            {available} / {board.agents.length}
          </div>
        </div>
      </div>
      <section aria-labelledby="queues-title">
        <h2 id="queues-title">Files</h2>
        {board.queues.length === 0 ? (
          <p className="empty">
            Aucune file : créez-en dans <Link to="/helpline/routing">Routage</Link>.
          </p>
        ) : (
          <div className="table-wrap">
            <table className="table" data-testid="queues-table">
              <caption>Par file{board.department ? `, département ${board.department}` : ""}</caption>
              <thead>
                <tr>
                  <th scope="col">File</th>
                  <th scope="col" className="num">
                    En attente
                  </th>
                  <th scope="col" className="num">
                    Attente la plus longue
                  </th>
                  <th scope="col" className="num">
                    Ouverts
                  </th>
                  <th scope="col" className="num">
                    SLA à risque
                  </th>
                  <th scope="col" className="num">
                    SLA dépassés
                  </th>
                </tr>
              </thead>
              <tbody>
                {board.queues.map((q) => (
                  <tr key={q.queueId}>
                    <th scope="row">
                      {q.name}
                      {q.isEscalation ? <span className="badge badge-info"> escalades</span> : null}
                    </th>
                    <td className="num">{q.waiting}</td>
                    <td className="num">{waitedFor(q.oldestWaitingSince, board.at)}</td>
                    <td className="num">{q.open}</td>
                    <td className="num">
                      {q.atRisk > 0 ? <span className="badge badge-warning">{q.atRisk}</span> : 0}
                    </td>
                    <td className="num">
                      {q.breached > 0 ? <span className="badge badge-error">{q.breached}</span> : 0}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </section>
      <section aria-labelledby="agents-title">
        <h2 id="agents-title">Conseillers</h2>
        {board.agents.length === 0 ? (
          <p className="empty">Aucun conseiller n'a de profil : ajoutez-en dans Routage.</p>
        ) : (
          <div className="table-wrap">
            <table className="table" data-testid="agents-table">
              <caption>Présence, charge et dossiers résolus aujourd'hui</caption>
              <thead>
                <tr>
                  <th scope="col">Conseiller</th>
                  <th scope="col">Présence</th>
                  <th scope="col" className="num">
                    Charge
                  </th>
                  <th scope="col" className="num">
                    Traités aujourd'hui
                  </th>
                </tr>
              </thead>
              <tbody>
                {board.agents.map((a) => (
                  <tr key={a.userId}>
                    <th scope="row">{a.name}</th>
                    <td>
                      <span
                        className={
                          a.presence === "available"
                            ? "badge badge-success"
                            : a.presence === "busy"
                              ? "badge badge-warning"
                              : "badge"
                        }
                      >
                        {PRESENCE_LABELS[a.presence]}
                      </span>{" "}
                      <span className="muted">depuis {formatDateTime(new Date(a.presenceSince))}</span>
                    </td>
                    <td className="num">
                      {a.load} / {a.capacity}
                    </td>
                    <td className="num">{a.handledToday}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </section>
    </>
  );
}
