import { json, type LoaderFunctionArgs, type MetaFunction } from "@remix-run/node";
import { Link, useLoaderData } from "@remix-run/react";
import { z } from "zod";
import { Pagination } from "~/components/pagination";
import { requirePermission } from "~/domain/auth/guards.server";
import { can } from "~/domain/auth/permissions";
import { formatDateTime } from "~/domain/lifecycle/paris-time";
import { WAVE_STATUS_LABELS, type WaveStatus } from "~/domain/waves/wave";
import { listWaves } from "~/domain/waves/wave-queries.server";

export const meta: MetaFunction = () => [{ title: "Vagues d'envoi — mes-ops" }];

const Query = z.object({ page: z.coerce.number().int().min(1).catch(1) });
const PAGE_SIZE = 20;

export async function loader({ request, context }: LoaderFunctionArgs) {
  const user = await requirePermission(request, context, "waves:read");
  const { page } = Query.parse(Object.fromEntries(new URL(request.url).searchParams));
  const { total, waves } = await listWaves(context.db, { page, pageSize: PAGE_SIZE });
  return json({
    canWrite: can(user, "waves:write"),
    page,
    pages: Math.max(1, Math.ceil(total / PAGE_SIZE)),
    total,
    waves: waves.map((w) => ({
      ...w,
      createdAt: formatDateTime(w.createdAt),
      scheduledAt: w.scheduledAt ? formatDateTime(w.scheduledAt) : null,
    })),
  });
}

const STATUS_BADGE: Record<WaveStatus, string> = {
  draft: "badge",
  scheduled: "badge badge-info",
  running: "badge badge-info",
  paused: "badge badge-warning",
  cancelled: "badge badge-error",
  completed: "badge badge-success",
};

export default function Waves() {
  const { waves, canWrite, page, pages, total } = useLoaderData<typeof loader>();
  return (
    <>
      <div className="page-header">
        <div>
          <h1>Vagues d'envoi</h1>
          <p className="hint">Courriers et e-mails porteurs d'un code provisoire, programmés par lots.</p>
        </div>
        {canWrite ? (
          <Link to="/waves/new" className="button">
            Nouvelle vague
          </Link>
        ) : null}
      </div>
      {waves.length === 0 ? (
        <p className="empty">
          Aucune vague pour l'instant.{canWrite ? " Créez la première avec « Nouvelle vague »." : ""}
        </p>
      ) : (
        // biome-ignore lint/a11y/noNoninteractiveTabindex: a scrollable table must be reachable with the keyboard (axe)
        <section className="table-wrap" tabIndex={0} aria-label="Liste des vagues">
          <table className="table">
            <caption className="sr-only">Vagues ({total})</caption>
            <thead>
              <tr>
                <th scope="col">Vague</th>
                <th scope="col">État</th>
                <th scope="col">Créée le</th>
                <th scope="col">Programmée le</th>
                <th scope="col" className="num">
                  Destinataires
                </th>
                <th scope="col" className="num">
                  Envoyés
                </th>
              </tr>
            </thead>
            <tbody>
              {waves.map((w) => (
                <tr key={w.id}>
                  <td>
                    <Link to={`/waves/${w.id}`}>
                      #{w.id} — {w.name}
                    </Link>
                  </td>
                  <td>
                    {w.status === "completed" && w.delivered === 0 ? (
                      <span className="badge badge-warning">
                        {WAVE_STATUS_LABELS.completed} — aucun envoi
                      </span>
                    ) : (
                      <span className={STATUS_BADGE[w.status]}>{WAVE_STATUS_LABELS[w.status]}</span>
                    )}
                  </td>
                  <td>{w.createdAt}</td>
                  <td>{w.scheduledAt ?? "—"}</td>
                  <td className="num">
                    {w.memberCount == null ? "—" : w.memberCount.toLocaleString("fr-FR")}
                  </td>
                  <td className="num">{w.delivered.toLocaleString("fr-FR")}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </section>
      )}
      {pages > 1 ? <Pagination label="Pages" page={page} pages={pages} href={(p) => `?page=${p}`} /> : null}
    </>
  );
}
