import { type ActionFunctionArgs, json, type LoaderFunctionArgs, type MetaFunction } from "@remix-run/node";
import { Form, useActionData, useLoaderData, useNavigation } from "@remix-run/react";
import { z } from "zod";
import { ActionResult } from "~/components/action-result";
import { CsrfInput } from "~/components/csrf";
import { actorOf, requirePermission } from "~/domain/auth/guards.server";
import { formatDateTime } from "~/domain/lifecycle/paris-time";
import { describeRule, RETENTION_KIND_LABELS, RETENTION_KINDS } from "~/domain/retention/retention";
import { previewRetention, recentPurges, requestPurge } from "~/domain/retention/retention.server";

export const meta: MetaFunction = () => [{ title: "Conservation des données — mes-ops" }];

export async function loader({ request, context }: LoaderFunctionArgs) {
  await requirePermission(request, context, "jobs:admin");
  const policy = context.config.retention;
  const purges = await recentPurges(context.db);
  return {
    rules: RETENTION_KINDS.map((kind) => ({
      kind,
      label: RETENTION_KIND_LABELS[kind].label,
      rule: describeRule(policy, kind),
    })),
    auditDays: policy.auditDays,
    batchSize: policy.batchSize,
    purges: purges.map((p) => ({ ...p, at: formatDateTime(p.at) })),
  };
}

const ActionForm = z.discriminatedUnion("intent", [
  z.object({ intent: z.literal("simulate") }),
  z.object({ intent: z.literal("purge"), confirm: z.literal("on").optional() }),
]);

interface ReportRow {
  kind: string;
  label: string;
  count: number;
  oldest: string | null;
  cutoff: string;
}
type ActionData = { ok: boolean; message: string; report: ReportRow[] | null };

export async function action({ request, context }: ActionFunctionArgs) {
  const user = await requirePermission(request, context, "jobs:admin");
  const parsed = ActionForm.safeParse(Object.fromEntries(await request.formData()));
  if (!parsed.success)
    return json<ActionData>(
      { ok: false, message: "Demande invalide : action inconnue.", report: null },
      { status: 400 },
    );
  if (parsed.data.intent === "simulate") {
    const report = await previewRetention(context.db, { policy: context.config.retention });
    const total = report.reduce((n, l) => n + l.count, 0);
    return json<ActionData>({
      ok: true,
      message: `Simulation : ${total} élément(s) à purger ; rien n'a été modifié.`,
      report: report.map((l) => ({
        kind: l.kind,
        label: RETENTION_KIND_LABELS[l.kind].label,
        count: l.count,
        oldest: l.oldest ? formatDateTime(l.oldest) : null,
        cutoff: formatDateTime(l.cutoff),
      })),
    });
  }
  if (!parsed.data.confirm)
    return json<ActionData>(
      {
        ok: false,
        message: "Confirmation : cochez la case pour confirmer la purge définitive.",
        report: null,
      },
      { status: 400 },
    );
  const result = await requestPurge(context.db, { boss: context.boss }, actorOf(user, context));
  return json<ActionData>(
    result.kind === "queued"
      ? {
          ok: true,
          message: "Purge lancée en tâche de fond : son bilan apparaîtra dans l'historique ci-dessous.",
          report: null,
        }
      : { ok: false, message: "Une purge est déjà en attente : rien n'est ajouté.", report: null },
    { status: result.kind === "queued" ? 200 : 409 },
  );
}

export default function AdminRetention() {
  const { rules, auditDays, batchSize, purges } = useLoaderData<typeof loader>();
  const result = useActionData<ActionData>();
  const busy = useNavigation().state !== "idle";
  return (
    <>
      <div className="page-header">
        <div>
          <h1>Conservation des données</h1>
          <p className="muted">
            Les données de campagne ne sont gardées que le temps nécessaire (RGPD, art. 5-1-e). Chaque nuit à
            2 h 30, la purge efface ce qui a dépassé sa durée, par lots de {batchSize.toLocaleString("fr-FR")}{" "}
            lignes ; les faits (envois, remises, états, chiffres de l'entonnoir) restent.
          </p>
        </div>
      </div>

      <ActionResult result={result} />

      <section className="card" aria-labelledby="rules-title">
        <h2 id="rules-title">Durées de conservation</h2>
        <ul>
          {rules.map((r) => (
            <li key={r.kind}>
              <strong>{r.label}</strong> : {r.rule}.
            </li>
          ))}
          <li>
            <strong>Journal d'audit</strong> : conservé {auditDays} jours ; jamais purgé par cette tâche.
          </li>
        </ul>
        <div className="actions">
          <Form method="post">
            <CsrfInput />
            <button type="submit" name="intent" value="simulate" className="button" disabled={busy}>
              Simulation
            </button>
          </Form>
          <Form method="post">
            <CsrfInput />
            <label>
              <input type="checkbox" name="confirm" /> Je confirme la purge définitive
            </label>{" "}
            <button
              type="submit"
              name="intent"
              value="purge"
              className="button button-danger"
              disabled={busy}
            >
              Purger maintenant
            </button>
          </Form>
        </div>
      </section>

      {result?.report ? (
        <section aria-labelledby="report-title">
          <h2 id="report-title">Résultat de la simulation</h2>
          <div className="table-wrap">
            <table className="table">
              <thead>
                <tr>
                  <th scope="col">Données</th>
                  <th scope="col">Échues avant le</th>
                  <th scope="col" className="num">
                    À purger
                  </th>
                  <th scope="col">La plus ancienne</th>
                </tr>
              </thead>
              <tbody>
                {result.report.map((l) => (
                  <tr key={l.kind}>
                    <th scope="row">{l.label}</th>
                    <td>{l.cutoff}</td>
                    <td className="num">{l.count}</td>
                    <td>{l.oldest ?? "—"}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </section>
      ) : null}

      <section aria-labelledby="history-title">
        <h2 id="history-title">Dernières purges</h2>
        {purges.length === 0 ? (
          <p className="empty">Aucune purge n'a encore eu lieu.</p>
        ) : (
          <div className="table-wrap">
            <table className="table">
              <thead>
                <tr>
                  <th scope="col">Date</th>
                  <th scope="col">Par</th>
                  {RETENTION_KINDS.map((k) => (
                    <th scope="col" className="num" key={k}>
                      {RETENTION_KIND_LABELS[k].label}
                    </th>
                  ))}
                </tr>
              </thead>
              <tbody>
                {purges.map((p) => (
                  <tr key={`${p.at}-${p.actor}`}>
                    <td>
                      {p.at}
                      {p.interrupted ? <span className="badge badge-warning"> interrompue</span> : null}
                    </td>
                    <td>{p.actor}</td>
                    {RETENTION_KINDS.map((k) => (
                      <td className="num" key={k}>
                        {p.counts[k] ?? 0}
                      </td>
                    ))}
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
