import { type ActionFunctionArgs, json, type LoaderFunctionArgs, type MetaFunction } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData, useNavigation, useRevalidator } from "@remix-run/react";
import { useEffect, useState } from "react";
import { Bar, BarChart, CartesianGrid, Legend, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";
import { z } from "zod";
import { ActionResult } from "~/components/action-result";
import { CsrfInput } from "~/components/csrf";
import { Pagination } from "~/components/pagination";
import { PreviewPanel } from "~/components/wave-preview";
import { auditActionLabel, auditDetailFields } from "~/domain/audit/labels";
import { actorOf, requirePermission } from "~/domain/auth/guards.server";
import { can } from "~/domain/auth/permissions";
import { DomainError } from "~/domain/domain-error";
import { formatDateTime } from "~/domain/lifecycle/paris-time";
import { parseWaveDefinition } from "~/domain/waves/plan.server";
import { previewView, previewWave } from "~/domain/waves/preview.server";
import {
  BATCH_STATUS_LABELS,
  CHANNEL_LABELS,
  EXCLUSION_LABELS,
  type ExclusionReason,
  WAVE_STATUS_LABELS,
  type WaveStatus,
} from "~/domain/waves/wave";
import { waveFormQuery } from "~/domain/waves/wave-form";
import {
  dailyProgress,
  waveAudit,
  waveBatches,
  waveIncidents,
  waveProgress,
} from "~/domain/waves/wave-queries.server";
import { cancelWave, pauseWave, resumeWave, scheduleWave } from "~/domain/waves/waves.server";
import { refusal } from "~/http/domain-error";

export const meta: MetaFunction<typeof loader> = ({ data }) => [
  { title: `${data?.wave.name ?? "Vague"} — vagues d'envoi — mes-ops` },
];

const Query = z.object({ page: z.coerce.number().int().min(1).catch(1) });
const BATCH_PAGE = 25;

export async function loader({ request, params, context }: LoaderFunctionArgs) {
  const user = await requirePermission(request, context, "waves:read");
  const waveId = Number(params.waveId);
  if (!Number.isSafeInteger(waveId) || waveId <= 0) throw new Response("Vague introuvable", { status: 404 });
  const wave = await context.db.selectFrom("wave").selectAll().where("id", "=", waveId).executeTakeFirst();
  if (!wave) throw new Response("Vague introuvable", { status: 404 });
  const { page } = Query.parse(Object.fromEntries(new URL(request.url).searchParams));
  const { segment, settings } = parseWaveDefinition(wave);
  const [progress, days, batches, incidents, audit] = await Promise.all([
    waveProgress(context.db, waveId),
    dailyProgress(context.db, waveId),
    waveBatches(context.db, waveId, { page, pageSize: BATCH_PAGE }),
    waveIncidents(context.db, waveId),
    waveAudit(context.db, waveId),
  ]);
  const preview =
    wave.status === "draft"
      ? previewView(await previewWave(context.db, segment, settings, context.config.sendHours))
      : null;
  const exclusions = (wave.exclusions ?? {}) as Record<string, number>;
  return json({
    canWrite: can(user, "waves:write"),
    wave: {
      id: wave.id,
      name: wave.name,
      status: wave.status,
      memberCount: wave.member_count,
      createdAt: formatDateTime(wave.created_at),
      scheduledAt: wave.scheduled_at ? formatDateTime(wave.scheduled_at) : null,
      plannedAt: wave.planned_at ? formatDateTime(wave.planned_at) : null,
      completedAt: wave.completed_at ? formatDateTime(wave.completed_at) : null,
      departments: segment.departments,
      mode: segment.mode,
      startAt: formatDateTime(settings.startAt),
      settings: {
        letterCapacityPerDay: settings.letterCapacityPerDay,
        emailCapacityPerHour: settings.emailCapacityPerHour,
        postalDelayDays: settings.postalDelayDays,
        windowDays: settings.windowDays,
        workingDaysOnly: settings.workingDaysOnly,
        forceLetters: settings.forceLetters,
        batchSize: settings.batchSize,
      },
      previewQuery: waveFormQuery({
        name: wave.name,
        departments: segment.departments,
        mode: segment.mode,
        rollIds: segment.rollIds.map(String),
        ageMin: segment.ageMin == null ? "" : String(segment.ageMin),
        ageMax: segment.ageMax == null ? "" : String(segment.ageMax),
        hasEmail: segment.hasEmail,
        forceLetters: settings.forceLetters,
        startDate: settings.startAt.toISOString().slice(0, 10),
        startTime: "08:00",
        letterCapacityPerDay: String(settings.letterCapacityPerDay),
        emailCapacityPerHour: String(settings.emailCapacityPerHour),
        postalDelayDays: String(settings.postalDelayDays),
        windowDays: String(settings.windowDays),
        workingDaysOnly: settings.workingDaysOnly,
        batchSize: String(settings.batchSize),
      }),
    },
    exclusions: Object.entries(exclusions)
      .filter(([k]) => k !== "matched")
      .map(([reason, count]) => ({
        reason,
        label: EXCLUSION_LABELS[reason as ExclusionReason] ?? reason,
        count,
      })),
    progress,
    days,
    batches: {
      page,
      pages: Math.max(1, Math.ceil(batches.total / BATCH_PAGE)),
      items: batches.batches.map((b) => ({ ...b, updatedAt: formatDateTime(b.updatedAt) })),
    },
    incidents: incidents.map((i) => ({ ...i, at: formatDateTime(i.at) })),
    audit: audit.map((a) => ({
      id: a.id,
      at: formatDateTime(a.at),
      actor: a.actor_label,
      action: auditActionLabel(a.action),
      details: auditDetailFields(
        (typeof a.details === "string" ? JSON.parse(a.details) : (a.details ?? {})) as Record<
          string,
          unknown
        >,
      ),
    })),
    preview,
  });
}

const Intent = z.object({
  intent: z.enum(["schedule", "pause", "resume", "cancel"]),
  confirm: z.string().optional(),
});

type ActionData = { ok: boolean; message: string };

export async function action({ request, params, context }: ActionFunctionArgs) {
  const user = await requirePermission(request, context, "waves:write");
  const waveId = Number(params.waveId);
  const parsed = Intent.safeParse(Object.fromEntries(await request.formData()));
  if (!parsed.success || !Number.isSafeInteger(waveId)) {
    return json<ActionData>({ ok: false, message: "Action inconnue." }, { status: 400 });
  }
  const actor = actorOf(user, context);
  try {
    switch (parsed.data.intent) {
      case "schedule":
        await scheduleWave(context.db, { boss: context.boss }, actor, waveId);
        return json<ActionData>({
          ok: true,
          message: "Vague programmée : les destinataires sont figés et les lots planifiés.",
        });
      case "pause":
        await pauseWave(context.db, actor, waveId);
        return json<ActionData>({
          ok: true,
          message: "Vague en pause : les lots en cours s'arrêtent au prochain palier.",
        });
      case "resume":
        await resumeWave(context.db, { boss: context.boss }, actor, waveId);
        return json<ActionData>({ ok: true, message: "Vague reprise." });
      case "cancel": {
        if (parsed.data.confirm !== "on") {
          return json<ActionData>(
            { ok: false, message: "Cochez la case de confirmation pour annuler la vague." },
            { status: 400 },
          );
        }
        const r = await cancelWave(context.db, actor, waveId);
        return json<ActionData>({
          ok: true,
          message: `Vague annulée : ${r.cancelledBatches} lot(s) et ${r.cancelledMembers.toLocaleString("fr-FR")} envoi(s) annulés ; ${r.alreadySent.toLocaleString("fr-FR")} déjà partis restent envoyés${r.stillRunning ? ` ; ${r.stillRunning} lot(s) en cours s'arrêtent au prochain palier` : ""}.`,
        });
      }
    }
  } catch (error) {
    if (error instanceof DomainError) {
      return refusal<ActionData>(error, { ok: false, message: `Action refusée : ${error.message}.` });
    }
    throw error;
  }
}

const STATUS_BADGE: Record<WaveStatus, string> = {
  draft: "badge",
  scheduled: "badge badge-info",
  running: "badge badge-info",
  paused: "badge badge-warning",
  cancelled: "badge badge-error",
  completed: "badge badge-success",
};

const fr = (n: number | null | undefined) => (n ?? 0).toLocaleString("fr-FR");

function DaysChart({
  days,
}: {
  days: Array<{
    day: string;
    plannedLetters: number;
    plannedEmails: number;
    doneLetters: number;
    doneEmails: number;
  }>;
}) {
  const [mounted, setMounted] = useState(false);
  const [view, setView] = useState<"chart" | "table">("chart");
  useEffect(() => setMounted(true), []);
  const data = days.map((d) => ({
    tick: `${d.day.slice(8, 10)}/${d.day.slice(5, 7)}`,
    planned: d.plannedLetters + d.plannedEmails,
    done: d.doneLetters + d.doneEmails,
  }));
  return (
    <section className="card" aria-labelledby="days-title">
      <div className="page-header">
        <h2 id="days-title">Envois par jour : prévus et réalisés</h2>
        <button
          type="button"
          className="button button-secondary button-small"
          aria-pressed={view === "table"}
          onClick={() => setView(view === "chart" ? "table" : "chart")}
          disabled={!mounted}
        >
          {view === "chart" ? "Afficher le tableau" : "Afficher le graphique"}
        </button>
      </div>
      {days.length === 0 ? (
        <p className="empty">Aucun lot planifié pour l'instant.</p>
      ) : mounted && view === "chart" ? (
        <div
          className="wave-chart"
          role="img"
          aria-label="Graphique des envois prévus et réalisés par jour ; valeurs dans la vue tableau."
        >
          <ResponsiveContainer width="100%" height="100%">
            <BarChart data={data} margin={{ top: 8, right: 16, bottom: 8, left: 8 }}>
              <CartesianGrid stroke="#eee" vertical={false} />
              <XAxis dataKey="tick" tick={{ fontSize: 12 }} />
              <YAxis tick={{ fontSize: 12 }} allowDecimals={false} />
              <Tooltip />
              <Legend />
              <Bar dataKey="planned" name="Prévus" fill="#9a9aff" isAnimationActive={false} />
              <Bar dataKey="done" name="Réalisés" fill="#000091" isAnimationActive={false} />
            </BarChart>
          </ResponsiveContainer>
        </div>
      ) : (
        // biome-ignore lint/a11y/noNoninteractiveTabindex: a scrollable table must be reachable with the keyboard (axe)
        <section className="table-wrap" tabIndex={0} aria-label="Envois prévus et réalisés par jour">
          <table className="table">
            <caption className="sr-only">Envois prévus et réalisés par jour</caption>
            <thead>
              <tr>
                <th scope="col">Jour</th>
                <th scope="col" className="num">
                  Courriers prévus
                </th>
                <th scope="col" className="num">
                  Courriers remis
                </th>
                <th scope="col" className="num">
                  E-mails prévus
                </th>
                <th scope="col" className="num">
                  E-mails envoyés
                </th>
              </tr>
            </thead>
            <tbody>
              {days.map((d) => (
                <tr key={d.day}>
                  <th scope="row">{d.day.split("-").reverse().join("/")}</th>
                  <td className="num">{fr(d.plannedLetters)}</td>
                  <td className="num">{fr(d.doneLetters)}</td>
                  <td className="num">{fr(d.plannedEmails)}</td>
                  <td className="num">{fr(d.doneEmails)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </section>
      )}
    </section>
  );
}

export default function WavePage() {
  const { wave, progress, days, batches, incidents, audit, preview, exclusions, canWrite } =
    useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const navigation = useNavigation();
  const revalidator = useRevalidator();
  const active = ["scheduled", "running"].includes(wave.status);
  useEffect(() => {
    if (!active) return;
    const id = setInterval(() => {
      if (revalidator.state === "idle" && document.visibilityState === "visible") revalidator.revalidate();
    }, 3000);
    return () => clearInterval(id);
  }, [active, revalidator]);
  const busy = navigation.state !== "idle";
  const total = wave.memberCount ?? 0;
  const left = progress.handedOff + progress.sent;
  // Before the wave-plan job has materialised it, a wave has no recipients yet: "0" would read as "none".
  const planned = wave.plannedAt != null;
  // Completed with nothing handed off or sent: said as such, not as a wave that sent its letters.
  const nothingSent = wave.status === "completed" && left === 0;
  const stats: Array<[string, number | null, string]> = [
    ["Destinataires figés", planned ? progress.members : null, "materialised"],
    ["Courriers imprimés", progress.rendered, "rendered"],
    ["Remis à l'imprimeur", progress.handedOff, "handed-off"],
    ["E-mails envoyés", progress.sent, "sent"],
    ["E-mails délivrés", progress.delivered, "delivered"],
    ["E-mails rejetés", progress.bounced, "bounced"],
    ["Basculés en courrier", progress.fellBack, "fell-back"],
    ["Exclus au départ", progress.excluded, "excluded"],
    ["Annulés", progress.cancelled, "cancelled"],
  ];
  return (
    <>
      <div className="page-header">
        <div>
          <p className="hint">
            <Link to="/waves">Vagues d'envoi</Link> / vague #{wave.id}
          </p>
          <h1>{wave.name}</h1>
          <p>
            <span
              className={nothingSent ? "badge badge-warning" : STATUS_BADGE[wave.status]}
              data-testid="wave-status"
            >
              {nothingSent
                ? `${WAVE_STATUS_LABELS.completed} — aucun envoi`
                : WAVE_STATUS_LABELS[wave.status]}
            </span>{" "}
            Départements {wave.departments.join(", ")} —{" "}
            {wave.mode === "pending" ? "jamais notifiés" : "relance des codes expirés"} — début {wave.startAt}
          </p>
        </div>
        <div className="toolbar">
          <a
            className="button button-secondary"
            href={`/waves/letter-preview?${wave.previewQuery}`}
            target="_blank"
            rel="noreferrer"
          >
            Aperçu du courrier (PDF)
          </a>
          {canWrite && wave.status === "draft" ? (
            <Form method="post">
              <CsrfInput />
              <button type="submit" name="intent" value="schedule" className="button" disabled={busy}>
                Programmer la vague
              </button>
            </Form>
          ) : null}
          {canWrite && active ? (
            <Form method="post">
              <CsrfInput />
              <button
                type="submit"
                name="intent"
                value="pause"
                className="button button-secondary"
                disabled={busy}
              >
                Mettre en pause
              </button>
            </Form>
          ) : null}
          {canWrite && wave.status === "paused" ? (
            <Form method="post">
              <CsrfInput />
              <button type="submit" name="intent" value="resume" className="button" disabled={busy}>
                Reprendre
              </button>
            </Form>
          ) : null}
        </div>
      </div>
      <ActionResult result={result} />

      {wave.status === "draft" ? (
        <section className="card" aria-labelledby="draft-title">
          <h2 id="draft-title">Avant programmation</h2>
          <p className="hint">
            Le segment est figé quand vous programmez : les personnes déjà dans une autre vague active sont
            exclues.
          </p>
          <PreviewPanel preview={preview} busy={false} />
        </section>
      ) : (
        <section className="card" aria-labelledby="progress-title">
          <h2 id="progress-title">Avancement</h2>
          <p data-testid="wave-progress-text">
            {!planned && (wave.status === "scheduled" || wave.status === "paused")
              ? "Destinataires pas encore figés : ils le sont au lancement de la vague, puis chaque lot part à son heure."
              : nothingSent
                ? `Aucun courrier ni e-mail n'est parti par les lots de cette vague${
                    total === 0
                      ? " : elle n'avait aucun destinataire au lancement"
                      : progress.excluded === progress.members
                        ? " : tous ses destinataires ont été exclus au départ (opposés ou espace déjà créé)"
                        : ""
                  }${wave.completedAt ? ` ; close le ${wave.completedAt}` : ""}.`
                : `${fr(left)} envoi(s) parti(s) sur ${fr(total)} destinataire(s)${
                    wave.completedAt ? `, terminée le ${wave.completedAt}` : ""
                  }.`}
          </p>
          <div className="progress" aria-hidden="true">
            <span style={{ width: `${total ? Math.min(100, (100 * left) / total) : 0}%` }} />
          </div>
          <div className="grid wave-stats">
            {stats.map(([label, value, id]) => (
              <div className="stat" key={id} data-testid={`stat-${id}`}>
                <div className="stat-label">{label}</div>
                <div className="stat-value">{value == null ? "—" : fr(value)}</div>
              </div>
            ))}
          </div>
          {exclusions.length > 0 ? (
            <p className="hint">
              Exclus à la programmation : {exclusions.map((e) => `${e.label} (${fr(e.count)})`).join(", ")}.
            </p>
          ) : null}
        </section>
      )}

      {wave.status !== "draft" ? <DaysChart days={days} /> : null}

      {wave.status !== "draft" ? (
        <section className="card" aria-labelledby="batches-title">
          <h2 id="batches-title">Lots</h2>
          {batches.items.length === 0 ? (
            <p className="empty">
              {planned
                ? "Aucun lot : la vague n'avait aucun destinataire à son lancement."
                : wave.status === "scheduled" || wave.status === "paused"
                  ? "Les lots apparaissent dès que la vague est programmée (quelques secondes)."
                  : "Aucun lot."}
            </p>
          ) : (
            // biome-ignore lint/a11y/noNoninteractiveTabindex: a scrollable table must be reachable with the keyboard (axe)
            <section className="table-wrap" tabIndex={0} aria-label="Lots de la vague">
              <table className="table">
                <caption className="sr-only">Lots de la vague</caption>
                <thead>
                  <tr>
                    <th scope="col">Lot</th>
                    <th scope="col">Jour</th>
                    <th scope="col">Canal</th>
                    <th scope="col">État</th>
                    <th scope="col" className="num">
                      Prévus
                    </th>
                    <th scope="col" className="num">
                      Figés
                    </th>
                    <th scope="col" className="num">
                      Essais
                    </th>
                    <th scope="col">Fichiers</th>
                  </tr>
                </thead>
                <tbody>
                  {batches.items.map((b) => (
                    <tr key={b.id}>
                      <td>
                        n° {b.number}
                        {b.kind === "fallback" ? " (relais courrier)" : ""}
                      </td>
                      <td>{b.day.split("-").reverse().join("/")}</td>
                      <td>{CHANNEL_LABELS[b.channel]}</td>
                      <td>
                        {BATCH_STATUS_LABELS[b.status]}
                        {b.lastError ? <div className="field-error">{b.lastError}</div> : null}
                      </td>
                      <td className="num">{fr(b.plannedCount)}</td>
                      <td className="num">{b.memberCount == null ? "—" : fr(b.memberCount)}</td>
                      <td className="num">{b.attempts}</td>
                      <td>
                        {b.hasPdf ? (
                          <>
                            <a href={`/waves/${wave.id}/batches/${b.id}`} download>
                              PDF
                            </a>{" "}
                            ·{" "}
                            <a href={`/waves/${wave.id}/batches/${b.id}?file=manifest`} download>
                              manifeste CSV
                            </a>
                          </>
                        ) : (
                          "—"
                        )}
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </section>
          )}
          {batches.pages > 1 ? (
            <Pagination
              label="Pages des lots"
              page={batches.page}
              pages={batches.pages}
              href={(page) => `?page=${page}`}
              previousLabel="Lots précédents"
              nextLabel="Lots suivants"
            />
          ) : null}
        </section>
      ) : null}

      <section className="card" aria-labelledby="incidents-title">
        <h2 id="incidents-title">Erreurs et incidents</h2>
        {incidents.length === 0 ? (
          <p className="empty">Aucun incident.</p>
        ) : (
          <ul>
            {incidents.map((i) => (
              <li key={i.id}>
                {i.at} — {i.message}
              </li>
            ))}
          </ul>
        )}
      </section>

      <section className="card" aria-labelledby="audit-title">
        <h2 id="audit-title">Journal des actions</h2>
        {audit.length === 0 ? (
          <p className="empty">Aucune action enregistrée.</p>
        ) : (
          <ul>
            {audit.map((a) => (
              <li key={a.id}>
                {a.at} — {a.actor} — {a.action}
                {a.details.length > 0 ? (
                  <div className="hint">{a.details.map((d) => `${d.label} : ${d.value}`).join(" · ")}</div>
                ) : null}
              </li>
            ))}
          </ul>
        )}
      </section>

      {canWrite && !["cancelled", "completed"].includes(wave.status) ? (
        <section className="card" aria-labelledby="cancel-title">
          <h2 id="cancel-title">Annuler la vague</h2>
          <p className="hint">
            Les lots non encore remis ou envoyés sont annulés et leurs codes révoqués ; ce qui est parti reste
            envoyé.
          </p>
          <Form method="post" className="toolbar">
            <CsrfInput />
            <label className="checkbox">
              <input type="checkbox" name="confirm" required /> Je confirme l'annulation de cette vague
            </label>
            <button
              type="submit"
              name="intent"
              value="cancel"
              className="button button-danger"
              disabled={busy}
            >
              Annuler la vague
            </button>
          </Form>
        </section>
      ) : null}
    </>
  );
}
