import { type ActionFunctionArgs, json, type LoaderFunctionArgs, type MetaFunction } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData, useNavigation } from "@remix-run/react";
import { z } from "zod";
import { ActionResult } from "~/components/action-result";
import { CsrfInput } from "~/components/csrf";
import { Pagination } from "~/components/pagination";
import { actorOf, requirePermission } from "~/domain/auth/guards.server";
import { describeAge, JOB_STATE_LABELS, JOB_STATES } from "~/domain/jobs/job-status";
import {
  listFailures,
  queueOverview,
  readWorkerPresence,
  readWorkerStatus,
  retryFailedJob,
} from "~/domain/jobs/jobs.server";
import { formatDateTime } from "~/domain/lifecycle/paris-time";
import { listUnmatchedEmailEvents } from "~/domain/waves/email-events.server";

export const meta: MetaFunction = () => [{ title: "Tâches de fond — mes-ops" }];

const Query = z.object({
  page: z.coerce.number().int().min(1).catch(1),
  queue: z.string().trim().max(100).optional().catch(undefined),
});

export async function loader({ request, context }: LoaderFunctionArgs) {
  await requirePermission(request, context, "jobs:admin");
  const params = Query.parse(Object.fromEntries(new URL(request.url).searchParams));
  const [queues, worker, presence, failures, unmatched] = await Promise.all([
    queueOverview(context.db, { boss: context.boss }),
    readWorkerStatus(context.db),
    readWorkerPresence(context.db),
    listFailures(context.db, { page: params.page, queue: params.queue || null }),
    listUnmatchedEmailEvents(context.db),
  ]);
  return {
    unmatched: {
      total: unmatched.total,
      events: unmatched.events.map((e) => ({
        ...e,
        occurredAt: formatDateTime(e.occurredAt),
        receivedAt: formatDateTime(e.receivedAt),
      })),
    },
    queues,
    worker: {
      state: worker.state,
      lastBeat: worker.lastBeatAt ? formatDateTime(worker.lastBeatAt) : null,
      age: worker.ageSeconds == null ? null : describeAge(worker.ageSeconds),
    },
    presence: {
      ...presence,
      lastHandbacks: presence.lastHandbacks.map((h) => ({ ...h, at: formatDateTime(h.at) })),
    },
    queueFilter: params.queue || null,
    failures: {
      ...failures,
      failures: failures.failures.map((f) => ({
        ...f,
        createdOn: formatDateTime(f.createdOn),
        failedOn: f.failedOn ? formatDateTime(f.failedOn) : "—",
      })),
    },
  };
}

const RetryForm = z.object({
  intent: z.literal("retry"),
  queue: z.string().trim().min(1).max(100),
  id: z.string().uuid(),
});

type ActionData = { ok: boolean; message: string };

export async function action({ request, context }: ActionFunctionArgs) {
  const user = await requirePermission(request, context, "jobs:admin");
  const parsed = RetryForm.safeParse(Object.fromEntries(await request.formData()));
  if (!parsed.success) {
    return json<ActionData>(
      { ok: false, message: "Demande invalide : tâche ou file manquante." },
      { status: 400 },
    );
  }
  const { queue, id } = parsed.data;
  const result = await retryFailedJob(context.db, { boss: context.boss }, actorOf(user, context), {
    queue,
    id,
  });
  switch (result.kind) {
    case "retried":
      return json<ActionData>({ ok: true, message: `La tâche ${id} de la file « ${queue} » est relancée.` });
    case "not_found":
      return json<ActionData>(
        {
          ok: false,
          message: `Tâche ${id} introuvable dans la file « ${queue} » (déjà archivée ?).`,
        },
        { status: 404 },
      );
    case "not_failed":
      return json<ActionData>(
        {
          ok: false,
          message: `La tâche ${id} n'est plus en échec (état : ${JOB_STATE_LABELS[result.state].toLowerCase()}) : rien à relancer.`,
        },
        { status: 409 },
      );
  }
}

const WORKER_BADGE = {
  active: { className: "badge badge-success", label: "Worker actif" },
  inactive: { className: "badge badge-error", label: "Worker inactif" },
  never: { className: "badge badge-warning", label: "Aucun battement reçu" },
} as const;

const HANDBACK_LABEL: Record<string, string> = {
  retry: "relancée aussitôt",
  failed: "en échec (plus de nouvel essai)",
  gone: "déjà terminée",
};

function pageHref(page: number, queue: string | null): string {
  const params = new URLSearchParams();
  if (queue) params.set("queue", queue);
  if (page > 1) params.set("page", String(page));
  const search = params.toString();
  return search ? `?${search}` : ".";
}

export default function AdminJobs() {
  const { queues, worker, presence, failures, queueFilter, unmatched } = useLoaderData<typeof loader>();
  const result = useActionData<ActionData>();
  const navigation = useNavigation();
  const badge = WORKER_BADGE[worker.state];
  return (
    <>
      <div className="page-header">
        <div>
          <h1>Tâches de fond</h1>
          <p className="muted">
            Files pg-boss, état du worker et tâches en échec. Les tâches échouées restent ici une semaine.
          </p>
        </div>
      </div>

      <ActionResult result={result} />

      <section className="card" aria-labelledby="worker-title">
        <h2 id="worker-title">Worker</h2>
        <p>
          <span className={badge.className}>{badge.label}</span>{" "}
          {worker.lastBeat ? (
            <>
              Dernier battement le {worker.lastBeat} ({worker.age}).
            </>
          ) : (
            "Aucun battement enregistré : le worker n'a jamais tourné sur cette base."
          )}
        </p>
        <p className="hint">
          La file « heartbeat » est planifiée chaque minute ; au-delà de deux minutes et demie sans battement,
          le worker est considéré comme inactif (lancez <code>npm run worker</code> ou <code>npm start</code>
          ).
        </p>
        <p>
          {presence.alive} processus de travail enregistré(s), {presence.running} tâche(s) en cours ;{" "}
          {presence.handedBackDay} tâche(s) reprise(s) après l'arrêt d'un processus ces dernières 24 h.
        </p>
        {presence.lastHandbacks.length > 0 ? (
          <ul className="hint">
            {presence.lastHandbacks.map((h) => (
              <li key={`${h.at}-${h.queue}-${h.pid}`}>
                {h.at} — file « {h.queue} », processus {h.pid} sur {h.host} :{" "}
                {HANDBACK_LABEL[h.outcome] ?? h.outcome}
              </li>
            ))}
          </ul>
        ) : null}
      </section>

      <section aria-labelledby="queues-title">
        <h2 id="queues-title">Files d'attente</h2>
        {queues.length === 0 ? (
          <p className="empty">Aucune file n'est déclarée.</p>
        ) : (
          <div className="table-wrap">
            <table className="table">
              <thead>
                <tr>
                  <th scope="col">File</th>
                  <th scope="col">Politique</th>
                  {JOB_STATES.map((s) => (
                    <th scope="col" className="num" key={s}>
                      {JOB_STATE_LABELS[s]}
                    </th>
                  ))}
                  <th scope="col" className="num">
                    Total
                  </th>
                </tr>
              </thead>
              <tbody>
                {queues.map((q) => (
                  <tr key={q.name}>
                    <th scope="row" className="mono">
                      {q.name}
                      {q.deadLetter ? (
                        <>
                          <br />
                          <span className="hint">lettres mortes : {q.deadLetter}</span>
                        </>
                      ) : null}
                    </th>
                    <td>{q.policy}</td>
                    {JOB_STATES.map((s) => (
                      <td className="num" key={s}>
                        {s === "failed" && q.counts.failed > 0 ? (
                          <Link
                            to={pageHref(1, q.name)}
                            aria-label={`${q.counts.failed} échecs dans ${q.name}`}
                          >
                            {q.counts.failed.toLocaleString("fr-FR")}
                          </Link>
                        ) : (
                          q.counts[s].toLocaleString("fr-FR")
                        )}
                      </td>
                    ))}
                    <td className="num">{q.total.toLocaleString("fr-FR")}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </section>

      <section aria-labelledby="failures-title">
        <h2 id="failures-title">Échecs récents</h2>
        <Form method="get" className="toolbar">
          <div className="field">
            <label htmlFor="queue-filter">File</label>
            <select id="queue-filter" name="queue" defaultValue={queueFilter ?? ""}>
              <option value="">Toutes les files</option>
              {queues.map((q) => (
                <option key={q.name} value={q.name}>
                  {q.name}
                </option>
              ))}
            </select>
          </div>
          <button type="submit" className="button button-secondary">
            Filtrer
          </button>
        </Form>
        {failures.failures.length === 0 ? (
          <p className="empty">
            {queueFilter
              ? `Aucune tâche en échec dans la file « ${queueFilter} ».`
              : "Aucune tâche en échec."}
          </p>
        ) : (
          <>
            <div className="table-wrap">
              <table className="table">
                <caption className="sr-only">
                  Tâches en échec, des plus récentes aux plus anciennes ({failures.total})
                </caption>
                <thead>
                  <tr>
                    <th scope="col">File</th>
                    <th scope="col">Échouée le</th>
                    <th scope="col" className="num">
                      Tentatives
                    </th>
                    <th scope="col">Erreur</th>
                    <th scope="col">Action</th>
                  </tr>
                </thead>
                <tbody>
                  {failures.failures.map((f) => (
                    <tr key={f.id}>
                      <td>
                        <span className="mono">{f.queue}</span>
                        <br />
                        <span className="hint mono">{f.id}</span>
                      </td>
                      <td>
                        {f.failedOn}
                        <br />
                        <span className="hint">créée le {f.createdOn}</span>
                      </td>
                      <td className="num">
                        {f.retryCount + 1} / {f.retryLimit + 1}
                      </td>
                      <td>
                        <details>
                          <summary>{f.error.split("\n")[0]}</summary>
                          <pre className="job-error">{f.error}</pre>
                        </details>
                      </td>
                      <td>
                        <Form method="post">
                          <CsrfInput />
                          <input type="hidden" name="intent" value="retry" />
                          <input type="hidden" name="queue" value={f.queue} />
                          <input type="hidden" name="id" value={f.id} />
                          <button
                            type="submit"
                            className="button button-small"
                            disabled={navigation.state === "submitting"}
                            aria-label={`Relancer la tâche ${f.id} de la file ${f.queue}`}
                          >
                            Relancer
                          </button>
                        </Form>
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
            <Pagination
              label="Pages des échecs"
              page={failures.page}
              pages={failures.pageCount}
              href={(page) => pageHref(page, queueFilter)}
              previousLabel="← Précédente"
              nextLabel="Suivante →"
              summary={
                <>
                  Page {failures.page} sur {failures.pageCount} — {failures.total} tâche
                  {failures.total > 1 ? "s" : ""} en échec
                </>
              }
            />
          </>
        )}
      </section>

      <section className="card" aria-labelledby="unmatched-title">
        <h2 id="unmatched-title">Retours non rapprochés</h2>
        <p className="hint">
          Événements de remise (rebonds, plaintes, remises) reçus d'un fournisseur ou de la boîte des DSN
          qu'aucun message envoyé n'explique : ils sont conservés, sans adresse (seul le domaine du
          destinataire).
        </p>
        {unmatched.total === 0 ? (
          <p className="muted">Aucun retour non rapproché.</p>
        ) : (
          <div className="table-wrap">
            <table>
              <caption>
                {unmatched.total} retour{unmatched.total > 1 ? "s" : ""} non rapproché
                {unmatched.total > 1 ? "s" : ""}
                {unmatched.total > unmatched.events.length
                  ? ` (les ${unmatched.events.length} plus récents)`
                  : ""}
              </caption>
              <thead>
                <tr>
                  <th scope="col">Reçu le</th>
                  <th scope="col">Fournisseur</th>
                  <th scope="col">Événement</th>
                  <th scope="col">Message-ID</th>
                  <th scope="col">Domaine</th>
                </tr>
              </thead>
              <tbody>
                {unmatched.events.map((e) => (
                  <tr key={e.eventId}>
                    <td>{e.receivedAt}</td>
                    <td>{e.provider}</td>
                    <td>{EVENT_KIND_LABELS[e.kind] ?? e.kind}</td>
                    <td>
                      <code>{e.messageId ?? "—"}</code>
                    </td>
                    <td>{e.recipientDomain ?? "—"}</td>
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

const EVENT_KIND_LABELS: Record<string, string> = {
  delivered: "remis",
  hard_bounce: "rejet définitif",
  soft_bounce: "rejet temporaire",
  blocked: "bloqué",
  complaint: "plainte (indésirable)",
};
