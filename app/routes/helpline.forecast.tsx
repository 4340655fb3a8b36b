import { type ActionFunctionArgs, json, type LoaderFunctionArgs, type MetaFunction } from "@remix-run/node";
import { Form, useActionData, useLoaderData, useNavigation } from "@remix-run/react";
import { useEffect, useState } from "react";
import {
  Bar,
  CartesianGrid,
  ComposedChart,
  Legend,
  Line,
  ResponsiveContainer,
  Tooltip,
  XAxis,
  YAxis,
} from "recharts";
import { z } from "zod";
import { ActionResult } from "~/components/action-result";
import { CsrfInput } from "~/components/csrf";
import { actorOf, requirePermission } from "~/domain/auth/guards.server";
import { loadStaffingForecast, saveForecastSettings, saveRoster } from "~/domain/helpline/forecast.server";
import { formatShortDate, isCalendarDate, parisInstant } from "~/domain/lifecycle/paris-time";

export const meta: MetaFunction = () => [{ title: "Prévision d'effectifs 34 22 — mes-ops" }];

export async function loader({ request, context }: LoaderFunctionArgs) {
  await requirePermission(request, context, "helpline:supervise");
  return loadStaffingForecast(context.db);
}

const SettingsForm = z.object({
  intent: z.literal("settings"),
  callRatePct: z.coerce.number().min(0, "Taux d'appel : positif.").max(100, "Taux d'appel : 100 % au plus."),
  calibrate: z
    .string()
    .optional()
    .transform((v) => v === "on"),
  ahtSeconds: z.coerce
    .number()
    .int()
    .min(10, "Durée moyenne de traitement : 10 s au moins.")
    .max(7200, "Durée moyenne : 2 h au plus."),
  targetSeconds: z.coerce.number().int().min(1, "Délai cible : 1 s au moins.").max(3600),
  targetServiceLevelPct: z.coerce
    .number()
    .min(1, "Niveau de service : entre 1 et 99 %.")
    .max(99, "Niveau de service : entre 1 et 99 %."),
  peakFactor: z.coerce
    .number()
    .min(1, "Facteur de pointe : 1 au moins.")
    .max(5, "Facteur de pointe : 5 au plus."),
});

type ActionData = { ok: boolean; message: string };

export async function action({ request, context }: ActionFunctionArgs) {
  const user = await requirePermission(request, context, "helpline:supervise");
  const form = await request.formData();
  const actor = actorOf(user, context);
  if (form.get("intent") === "roster") {
    const entries: Array<{ day: string; agents: number | null }> = [];
    for (const [key, value] of form) {
      const m = /^roster-(\d{4}-\d{2}-\d{2})$/.exec(key);
      if (!m) continue;
      if (!isCalendarDate(m[1]))
        return json<ActionData>(
          { ok: false, message: `Effectif : date inexistante « ${m[1]} ».` },
          { status: 400 },
        );
      const text = String(value).trim();
      if (text === "") {
        entries.push({ day: m[1], agents: null });
        continue;
      }
      const n = Number(text);
      if (!Number.isInteger(n) || n < 0 || n > 100_000) {
        return json<ActionData>(
          {
            ok: false,
            message: `Effectif du ${formatShortDate(parisInstant(m[1], "12:00:00"))} : nombre entier positif attendu (lu « ${text} »).`,
          },
          { status: 400 },
        );
      }
      entries.push({ day: m[1], agents: n });
    }
    await saveRoster(context.db, actor, entries);
    return json<ActionData>({ ok: true, message: "Planning des effectifs enregistré." });
  }
  const parsed = SettingsForm.safeParse(Object.fromEntries(form));
  if (!parsed.success) {
    return json<ActionData>(
      { ok: false, message: parsed.error.issues[0]?.message ?? "Paramètres invalides." },
      { status: 400 },
    );
  }
  const d = parsed.data;
  await saveForecastSettings(context.db, actor, {
    callRate: d.callRatePct / 100,
    calibrate: d.calibrate,
    ahtSeconds: d.ahtSeconds,
    targetSeconds: d.targetSeconds,
    targetServiceLevel: d.targetServiceLevelPct / 100,
    peakFactor: d.peakFactor,
  });
  return json<ActionData>({ ok: true, message: "Paramètres de prévision enregistrés." });
}

const fmt = (n: number) => n.toLocaleString("fr-FR");
const dayLabel = (d: string) => `${d.slice(8, 10)}/${d.slice(5, 7)}`;
const WEEKDAYS = ["dim.", "lun.", "mar.", "mer.", "jeu.", "ven.", "sam."];
const weekday = (d: string) => WEEKDAYS[new Date(`${d}T12:00:00Z`).getUTCDay()];

function StaffingChart({
  days,
}: {
  days: Array<{ date: string; calls: number; agentsNeeded: number; rostered: number | null }>;
}) {
  const [mounted, setMounted] = useState(false);
  useEffect(() => setMounted(true), []);
  if (!mounted)
    return (
      <p className="hint">
        Le graphique s'affiche une fois la page chargée ; le tableau ci-dessous donne les mêmes valeurs.
      </p>
    );
  const data = days.map((d) => ({ ...d, tick: dayLabel(d.date) }));
  return (
    <div
      style={{ width: "100%", height: 340 }}
      role="img"
      aria-label="Appels prévus, conseillers nécessaires et conseillers planifiés par jour"
    >
      <ResponsiveContainer>
        <ComposedChart data={data} margin={{ top: 10, right: 20, bottom: 0, left: 0 }}>
          <CartesianGrid strokeDasharray="3 3" />
          <XAxis dataKey="tick" />
          <YAxis
            yAxisId="agents"
            allowDecimals={false}
            label={{ value: "conseillers", angle: -90, position: "insideLeft" }}
          />
          <YAxis
            yAxisId="calls"
            orientation="right"
            label={{ value: "appels", angle: 90, position: "insideRight" }}
          />
          <Tooltip />
          <Legend />
          <Bar yAxisId="calls" dataKey="calls" name="Appels prévus" fill="#cacafb" />
          <Line
            yAxisId="agents"
            type="stepAfter"
            dataKey="agentsNeeded"
            name="Conseillers nécessaires (Erlang C)"
            stroke="#e1000f"
            strokeWidth={2}
            dot={false}
          />
          <Line
            yAxisId="agents"
            type="stepAfter"
            dataKey="rostered"
            name="Conseillers planifiés"
            stroke="#000091"
            strokeWidth={2}
            dot={{ r: 3 }}
            connectNulls={false}
          />
        </ComposedChart>
      </ResponsiveContainer>
    </div>
  );
}

export default function Forecast() {
  const f = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const busy = useNavigation().state !== "idle";
  const short = f.days.filter((d) => d.working && d.rostered != null && d.rostered < d.agentsNeeded).length;
  const unplanned = f.days.filter((d) => d.working && d.rostered == null && d.agentsNeeded > 0).length;
  return (
    <>
      <div className="page-header">
        <div>
          <h1>Prévision d'effectifs 34 22</h1>
          <p className="muted">
            4 semaines à partir du {formatShortDate(parisInstant(f.from, "12:00:00"))} : appels attendus
            d'après les envois des vagues, et conseillers nécessaires (Erlang C) pour{" "}
            {Math.round(f.settings.targetServiceLevel * 100)} % des appels décrochés en{" "}
            {f.settings.targetSeconds} s.
          </p>
        </div>
      </div>
      <ActionResult result={result} />
      <div className="grid">
        <div className="stat">
          <div className="stat-label">Taux d'appel par notification</div>
          <div className="stat-value">
            {(f.rate * 100).toLocaleString("fr-FR", { maximumFractionDigits: 2 })} %
          </div>
          <div className="hint">
            {f.rateSource === "observed"
              ? `observé : ${fmt(f.observed.cases)} dossiers / ${fmt(f.observed.notifications)} notifications (28 j)`
              : `paramétré (observé : ${fmt(f.observed.cases)} dossiers / ${fmt(f.observed.notifications)} notifications, trop peu pour calibrer)`}
          </div>
        </div>
        <div className="stat">
          <div className="stat-label">Appels prévus (4 semaines)</div>
          <div className="stat-value">{fmt(f.days.reduce((s, d) => s + d.calls, 0))}</div>
        </div>
        <div className="stat">
          <div className="stat-label">Pic de conseillers nécessaires</div>
          <div className="stat-value">{Math.max(0, ...f.days.map((d) => d.agentsNeeded))}</div>
        </div>
        <div className="stat">
          <div className="stat-label">Jours en sous-effectif</div>
          <div className="stat-value">{short}</div>
          <div className="hint">{unplanned} jour(s) ouvré(s) sans effectif planifié</div>
        </div>
      </div>
      <section className="card" aria-labelledby="chart-title">
        <h2 id="chart-title">Appels et effectifs par jour</h2>
        <StaffingChart days={f.days} />
      </section>

      <section className="card" aria-labelledby="roster-title">
        <h2 id="roster-title">Détail et planning</h2>
        <Form method="post">
          <CsrfInput />
          <input type="hidden" name="intent" value="roster" />
          <div className="table-wrap">
            <table className="table">
              <caption>Saisissez le nombre de conseillers planifiés par jour (vide = non planifié)</caption>
              <thead>
                <tr>
                  <th scope="col">Jour</th>
                  <th scope="col" className="num">
                    Notifications
                  </th>
                  <th scope="col" className="num">
                    Appels prévus
                  </th>
                  <th scope="col" className="num">
                    Trafic (Erlang)
                  </th>
                  <th scope="col" className="num">
                    Nécessaires
                  </th>
                  <th scope="col">Planifiés</th>
                </tr>
              </thead>
              <tbody>
                {f.days.map((d) => (
                  <tr key={d.date}>
                    <th scope="row">
                      {weekday(d.date)} {dayLabel(d.date)}
                      {d.working ? "" : <span className="muted"> (fermé)</span>}
                    </th>
                    <td className="num">{fmt(d.notifications)}</td>
                    <td className="num">{fmt(d.calls)}</td>
                    <td className="num">{d.traffic.toLocaleString("fr-FR", { maximumFractionDigits: 1 })}</td>
                    <td className="num">{d.agentsNeeded}</td>
                    <td>
                      <label className="sr-only" htmlFor={`roster-${d.date}`}>
                        Conseillers planifiés le {dayLabel(d.date)}
                      </label>
                      <input
                        id={`roster-${d.date}`}
                        name={`roster-${d.date}`}
                        type="number"
                        min={0}
                        defaultValue={d.rostered ?? ""}
                        aria-invalid={
                          d.working && d.rostered != null && d.rostered < d.agentsNeeded ? true : undefined
                        }
                        style={{ width: "6rem" }}
                      />
                      {d.working && d.rostered != null && d.rostered < d.agentsNeeded ? (
                        <span className="badge badge-error"> manque {d.agentsNeeded - d.rostered}</span>
                      ) : null}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          <button type="submit" className="button" disabled={busy}>
            Enregistrer le planning
          </button>
        </Form>
      </section>

      <section className="card" aria-labelledby="settings-title">
        <h2 id="settings-title">Paramètres</h2>
        <Form method="post" className="stack">
          <CsrfInput />
          <input type="hidden" name="intent" value="settings" />
          <div className="field">
            <label htmlFor="callRatePct">Taux d'appel par notification (%)</label>
            <input
              id="callRatePct"
              name="callRatePct"
              type="number"
              step="0.01"
              min={0}
              max={100}
              defaultValue={f.settings.callRate * 100}
            />
          </div>
          <div className="checkbox">
            <input id="calibrate" name="calibrate" type="checkbox" defaultChecked={f.settings.calibrate} />
            <label htmlFor="calibrate">
              Calibrer sur le ratio observé dossiers / notifications dès qu'il y a assez de données
            </label>
          </div>
          <div className="field">
            <label htmlFor="ahtSeconds">Durée moyenne de traitement d'un appel (s)</label>
            <input
              id="ahtSeconds"
              name="ahtSeconds"
              type="number"
              min={10}
              defaultValue={f.settings.ahtSeconds}
            />
          </div>
          <div className="field">
            <label htmlFor="targetServiceLevelPct">
              Niveau de service cible (% d'appels décrochés dans le délai)
            </label>
            <input
              id="targetServiceLevelPct"
              name="targetServiceLevelPct"
              type="number"
              min={1}
              max={99}
              defaultValue={f.settings.targetServiceLevel * 100}
            />
          </div>
          <div className="field">
            <label htmlFor="targetSeconds">Délai cible (s)</label>
            <input
              id="targetSeconds"
              name="targetSeconds"
              type="number"
              min={1}
              defaultValue={f.settings.targetSeconds}
            />
          </div>
          <div className="field">
            <label htmlFor="peakFactor">Facteur de pointe (heure chargée ÷ heure moyenne)</label>
            <input
              id="peakFactor"
              name="peakFactor"
              type="number"
              step="0.05"
              min={1}
              max={5}
              defaultValue={f.settings.peakFactor}
            />
            <p className="hint">1 = appels répartis uniformément sur les 9 heures d'ouverture.</p>
          </div>
          <div>
            <button type="submit" className="button button-secondary" disabled={busy}>
              Enregistrer les paramètres
            </button>
          </div>
        </Form>
      </section>
    </>
  );
}
