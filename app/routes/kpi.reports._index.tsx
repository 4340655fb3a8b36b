import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { Form, useActionData, useLoaderData, useNavigation } from "@remix-run/react";
import { CsrfInput } from "~/components/csrf";
import { Pagination } from "~/components/pagination";
import { actorOf, requirePermission } from "~/domain/auth/guards.server";
import { formatMonthFr, formatNumberFr } from "~/domain/kpi/format";
import { listReports, reportPeriodFor, requestReport } from "~/domain/kpi/reports.server";
import { formatDateTime } from "~/domain/lifecycle/paris-time";
import { pageParam } from "~/http/params";

export const meta: MetaFunction = () => [{ title: "Rapports mensuels — mes-ops" }];

const PAGE_SIZE = 20;

export async function loader({ request, context }: LoaderFunctionArgs) {
  await requirePermission(request, context, "kpi:read");
  const page = pageParam(new URL(request.url).searchParams.get("page"));
  const { reports, total } = await listReports(context.db, {
    limit: PAGE_SIZE,
    offset: (page - 1) * PAGE_SIZE,
  });
  return {
    reports,
    total,
    page,
    pages: Math.max(1, Math.ceil(total / PAGE_SIZE)),
    nextPeriod: reportPeriodFor(),
  };
}

export async function action({ request, context }: ActionFunctionArgs) {
  const user = await requirePermission(request, context, "kpi:read");
  const queued = await requestReport(context.db, { boss: context.boss }, actorOf(user, context), {
    period: reportPeriodFor(),
  });
  return { queued };
}

export default function KpiReports() {
  const { reports, total, page, pages, nextPeriod } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const navigation = useNavigation();
  const busy = navigation.state === "submitting";
  return (
    <>
      <div className="page-header">
        <div>
          <h1>Rapports mensuels</h1>
          <p className="muted">
            Le rapport du mois écoulé est produit automatiquement le 1er de chaque mois à 6 h (heure de Paris)
            et archivé ici.
          </p>
        </div>
        <Form method="post">
          <CsrfInput />
          <button type="submit" className="button" disabled={busy}>
            {busy ? "Demande en cours…" : `Générer maintenant le rapport (${formatMonthFr(nextPeriod)})`}
          </button>
        </Form>
      </div>
      {result?.queued ? (
        <output className="alert alert-success">
          Rapport demandé : il apparaîtra dans la liste dans quelques secondes (rechargez la page).
        </output>
      ) : result ? (
        <output className="alert alert-warning">
          Un rapport vient déjà d'être demandé : il apparaîtra dans la liste dans quelques secondes.
        </output>
      ) : null}
      {reports.length === 0 ? (
        <p className="empty">
          Aucun rapport archivé pour l'instant. Le premier sera produit le 1er du mois prochain.
        </p>
      ) : (
        <div className="table-wrap">
          <table className="table">
            <caption className="sr-only">Rapports archivés ({total})</caption>
            <thead>
              <tr>
                <th scope="col">Mois couvert</th>
                <th scope="col">Produit le</th>
                <th scope="col">Origine</th>
                <th scope="col" className="num">
                  Pages
                </th>
                <th scope="col" className="num">
                  Taille
                </th>
                <th scope="col">Fichier</th>
              </tr>
            </thead>
            <tbody>
              {reports.map((r) => (
                <tr key={r.id}>
                  <td>{formatMonthFr(r.period)}</td>
                  <td>{formatDateTime(new Date(r.generatedAt))}</td>
                  <td>{r.trigger === "cron" ? "Automatique (1er du mois)" : "À la demande"}</td>
                  <td className="num">{r.pages}</td>
                  <td className="num">{formatNumberFr(r.sizeBytes / 1024)} Ko</td>
                  <td>
                    <a href={`/kpi/reports/${r.id}`} download>
                      Télécharger le PDF
                      <span className="sr-only"> de {formatMonthFr(r.period)}</span>
                    </a>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {pages > 1 ? (
        <Pagination
          label="Pages des rapports"
          page={page}
          pages={pages}
          href={(p) => `?page=${p}`}
          summary={
            <>
              Page {page} / {pages}
            </>
          }
        />
      ) : null}
    </>
  );
}
