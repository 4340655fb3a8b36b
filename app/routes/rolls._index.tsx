import type { LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { Link, useLoaderData } from "@remix-run/react";
import { z } from "zod";
import { Pagination } from "~/components/pagination";
import { formatBytes, formatNumber, ROLL_STATE_BADGES } from "~/components/roll-format";
import { requirePermission } from "~/domain/auth/guards.server";
import { formatDateTime } from "~/domain/lifecycle/paris-time";
import { ROLL_STATE_LABELS } from "~/domain/rolls/roll";
import { listRolls } from "~/domain/rolls/rolls.server";

export const meta: MetaFunction = () => [{ title: "Fichiers d'assurés — mes-ops" }];

const Query = z.object({ before: z.coerce.number().int().positive().optional() });

export async function loader({ request, context }: LoaderFunctionArgs) {
  await requirePermission(request, context, "rolls:import");
  const query = Query.safeParse(Object.fromEntries(new URL(request.url).searchParams));
  const page = await listRolls(context.db, { before: query.success ? query.data.before : undefined });
  return {
    ...page,
    rolls: page.rolls.map((r) => ({ ...r, createdLabel: formatDateTime(new Date(r.createdAt)) })),
    first: !query.success || !query.data.before,
  };
}

const SOURCES: Record<string, string> = { upload: "dépôt web", cli: "ligne de commande", seed: "démo" };

export default function Rolls() {
  const { rolls, nextBefore, first } = useLoaderData<typeof loader>();
  return (
    <>
      <div className="page-header">
        <div>
          <h1>Fichiers d'assurés</h1>
          <p className="muted">
            Chaque fichier est analysé, contrôlé puis intégré en une seule fois, ou pas du tout.
          </p>
        </div>
        <Link className="button" to="/rolls/upload">
          Déposer un fichier
        </Link>
      </div>
      {rolls.length === 0 ? (
        <p className="empty">Aucun fichier importé pour l'instant. Déposez un premier fichier d'assurés.</p>
      ) : (
        // biome-ignore lint/a11y/noNoninteractiveTabindex: a scrollable table must be reachable with the keyboard (axe)
        <section className="table-wrap" tabIndex={0} aria-label="Fichiers importés">
          <table className="table">
            <caption className="sr-only">Fichiers importés, du plus récent au plus ancien</caption>
            <thead>
              <tr>
                <th scope="col">N°</th>
                <th scope="col">Fichier</th>
                <th scope="col">État</th>
                <th scope="col" className="num">
                  Taille
                </th>
                <th scope="col" className="num">
                  Lignes
                </th>
                <th scope="col" className="num">
                  Refusées
                </th>
                <th scope="col" className="num">
                  Nouveaux
                </th>
                <th scope="col" className="num">
                  Mis à jour
                </th>
                <th scope="col">Déposé</th>
              </tr>
            </thead>
            <tbody>
              {rolls.map((r) => (
                <tr key={r.id}>
                  <td>{r.id}</td>
                  <td>
                    <Link to={`/rolls/${r.id}`}>{r.fileName}</Link>
                  </td>
                  <td>
                    <span className={`badge ${ROLL_STATE_BADGES[r.state]}`}>
                      {ROLL_STATE_LABELS[r.state]}
                    </span>
                    {r.dryRun ? <span className="badge badge-info">simulation</span> : null}
                  </td>
                  <td className="num">{formatBytes(r.sizeBytes)}</td>
                  <td className="num">{formatNumber(r.rows)}</td>
                  <td className="num">{formatNumber(r.rejected)}</td>
                  <td className="num">{formatNumber(r.inserted)}</td>
                  <td className="num">{formatNumber(r.updated)}</td>
                  <td>
                    {r.createdLabel} — {r.createdBy ?? SOURCES[r.source] ?? r.source}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </section>
      )}
      <Pagination
        label="Pagination"
        previous={!first ? { to: "/rolls", label: "« Plus récents" } : null}
        next={nextBefore ? { to: `/rolls?before=${nextBefore}`, label: "Plus anciens »" } : null}
      />
    </>
  );
}
