import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { Form, useActionData, useLoaderData, useNavigation } from "@remix-run/react";
import { z } from "zod";
import { CsrfInput } from "~/components/csrf";
import { actorOf, requirePermission } from "~/domain/auth/guards.server";
import { countPostponable, loadDeadlineCalendar } from "~/domain/lifecycle/calendar.server";
import {
  lastCatchUpReport,
  type PostponeScope,
  postponeDeadlines,
} from "~/domain/lifecycle/deadlines.server";
import { formatDateTime, formatFrenchDate } from "~/domain/lifecycle/paris-time";

export const meta: MetaFunction = () => [{ title: "Échéances de création automatique — mes-ops" }];

export async function loader({ request, context }: LoaderFunctionArgs) {
  await requirePermission(request, context, "deadlines:write");
  const params = new URL(request.url).searchParams;
  const department = params.get("department");
  const wave = params.get("wave");
  const calendar = await loadDeadlineCalendar(context.db, {
    department: department && /^[0-9AB]{2,3}$/.test(department) ? department : null,
    waveId: wave && /^\d{1,12}$/.test(wave) ? Number(wave) : null,
  });
  const catchUp = await lastCatchUpReport(context.db);
  return { calendar, catchUp, filters: { department: department ?? "", wave: wave ?? "" } };
}

const PostponeForm = z
  .object({
    intent: z.enum(["preview", "confirm"]),
    scope: z.enum(["wave", "department"], { message: "Choisissez une vague ou un département." }),
    waveId: z.string().optional(),
    department: z.string().optional(),
    days: z.coerce
      .number({ message: "Nombre de jours requis." })
      .int("Nombre entier de jours.")
      .min(1, "Au moins 1 jour.")
      .max(60, "Au plus 60 jours."),
    reason: z.string().trim().min(5, "Motif requis (5 caractères au moins), par exemple « grève postale »."),
  })
  .superRefine((v, ctx) => {
    if (v.scope === "wave" && !/^\d{1,12}$/.test(v.waveId ?? "")) {
      ctx.addIssue({ code: "custom", path: ["waveId"], message: "Choisissez la vague." });
    }
    if (v.scope === "department" && !/^[0-9AB]{2,3}$/.test(v.department ?? "")) {
      ctx.addIssue({ code: "custom", path: ["department"], message: "Choisissez le département." });
    }
  });

type Values = Record<string, string>;
type ActionData =
  | { kind: "errors"; errors: Record<string, string>; values: Values }
  | { kind: "preview"; affected: number; values: Values; scopeLabel: string }
  | { kind: "done"; moved: number; codesExtended: number; days: number; scopeLabel: string };

export async function action({ request, context }: ActionFunctionArgs): Promise<ActionData> {
  const user = await requirePermission(request, context, "deadlines:write");
  const form = await request.formData();
  const values: Values = {};
  for (const key of ["intent", "scope", "waveId", "department", "days", "reason"]) {
    const v = form.get(key);
    values[key] = typeof v === "string" ? v : "";
  }
  const parsed = PostponeForm.safeParse(values);
  if (!parsed.success) {
    const errors: Record<string, string> = {};
    for (const issue of parsed.error.issues) errors[String(issue.path[0] ?? "form")] ??= issue.message;
    return { kind: "errors", errors, values };
  }
  const scope: PostponeScope =
    parsed.data.scope === "wave"
      ? { kind: "wave", waveId: Number(parsed.data.waveId) }
      : { kind: "department", department: String(parsed.data.department) };
  const scopeLabel =
    scope.kind === "wave" ? `la vague n° ${scope.waveId}` : `le département ${scope.department}`;
  if (parsed.data.intent === "preview") {
    return { kind: "preview", affected: await countPostponable(context.db, { scope }), values, scopeLabel };
  }
  const result = await context.db.transaction().execute((trx) =>
    postponeDeadlines(trx, { boss: context.boss }, actorOf(user, context), {
      scope,
      days: parsed.data.days,
      reason: parsed.data.reason,
    }),
  );
  return {
    kind: "done",
    moved: result.moved,
    codesExtended: result.codesExtended,
    days: parsed.data.days,
    scopeLabel,
  };
}

const n = (v: number) => v.toLocaleString("fr-FR");

export default function DeadlinesPage() {
  const { calendar, catchUp, filters } = useLoaderData<typeof loader>();
  const data = useActionData<typeof action>();
  const navigation = useNavigation();
  const busy = navigation.state === "submitting";
  const errors = data?.kind === "errors" ? data.errors : {};
  const values = data && data.kind !== "done" ? data.values : {};
  const waveName = (id: number) => calendar.waves.find((w) => w.id === id)?.name ?? `Vague n° ${id}`;
  return (
    <>
      <div className="page-header">
        <div>
          <h1>Échéances de création automatique</h1>
          <p className="muted">
            Créations automatiques à venir par jour (fin de fenêtre à 23 h 59, heure de Paris) sur 8 semaines,
            du {formatFrenchDate(calendar.from)} au {formatFrenchDate(calendar.to)}.
          </p>
        </div>
      </div>

      {catchUp && catchUp.overdue > 0 ? (
        <div className="alert alert-warning" role="alert">
          Rattrapage du {formatDateTime(new Date(catchUp.at))} : {n(catchUp.overdue)} assuré(s) en retard de
          création automatique (
          {catchUp.days.map((d) => `${formatFrenchDate(d.day)} : ${n(d.persons)}`).join(", ")}). Un traitement
          a été relancé pour ces jours.
        </div>
      ) : catchUp ? (
        <p className="hint">
          Dernier contrôle de rattrapage : {formatDateTime(new Date(catchUp.at))}, aucun retard.
        </p>
      ) : null}

      <Form method="get" className="toolbar card" aria-label="Filtres du calendrier">
        <div className="field">
          <label htmlFor="f-department">Département</label>
          <select id="f-department" name="department" defaultValue={filters.department}>
            <option value="">Tous</option>
            {calendar.departments.map((d) => (
              <option key={d} value={d}>
                {d}
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor="f-wave">Vague</label>
          <select id="f-wave" name="wave" defaultValue={filters.wave}>
            <option value="">Toutes</option>
            {calendar.waves.map((w) => (
              <option key={w.id} value={w.id}>
                {w.name}
              </option>
            ))}
          </select>
        </div>
        <button type="submit" className="button">
          Filtrer
        </button>
      </Form>

      <section className="card" aria-labelledby="calendar-title">
        <h2 id="calendar-title">Calendrier — {n(calendar.total)} création(s) automatique(s) prévue(s)</h2>
        {calendar.days.length === 0 ? (
          <p className="empty">Aucune fin de fenêtre dans les 8 semaines à venir pour ces filtres.</p>
        ) : (
          // biome-ignore lint/a11y/noNoninteractiveTabindex: a scrollable table must be reachable with the keyboard (axe)
          <section className="table-wrap" tabIndex={0} aria-label="Calendrier des créations automatiques">
            <table className="table">
              <thead>
                <tr>
                  <th scope="col">Jour</th>
                  <th scope="col" className="num">
                    Total
                  </th>
                  <th scope="col">Par département</th>
                  <th scope="col">Par vague</th>
                </tr>
              </thead>
              <tbody>
                {calendar.days.map((d) => (
                  <tr key={d.day}>
                    <th scope="row">{formatFrenchDate(d.day)}</th>
                    <td className="num">{n(d.total)}</td>
                    <td>{d.byDepartment.map((x) => `${x.department} : ${n(x.n)}`).join(" · ")}</td>
                    <td>{d.byWave.map((x) => `${waveName(x.waveId)} : ${n(x.n)}`).join(" · ")}</td>
                  </tr>
                ))}
              </tbody>
              <tfoot>
                <tr>
                  <th scope="row">Total</th>
                  <td className="num">{n(calendar.total)}</td>
                  <td colSpan={2} />
                </tr>
              </tfoot>
            </table>
          </section>
        )}
      </section>

      <section className="card" aria-labelledby="postpone-title">
        <h2 id="postpone-title">Reporter une échéance</h2>
        <p className="hint">
          Décale de N jours les fenêtres encore ouvertes d'une vague ou d'un département (par exemple une
          grève postale), prolonge leurs codes d'autant et replanifie les traitements. L'action est tracée au
          journal d'audit avec son motif.
        </p>
        {data?.kind === "done" ? (
          <output className="alert alert-success">
            {n(data.moved)} fenêtre(s) de {data.scopeLabel} reportée(s) de {data.days} jour(s) ;{" "}
            {n(data.codesExtended)} code(s) prolongé(s).
          </output>
        ) : null}
        <Form method="post" className="stack" noValidate>
          <CsrfInput />
          <fieldset>
            <legend>Périmètre</legend>
            <div className="field">
              <label>
                <input
                  type="radio"
                  name="scope"
                  value="wave"
                  defaultChecked={values.scope !== "department"}
                />{" "}
                Une vague
              </label>
              <label>
                <input
                  type="radio"
                  name="scope"
                  value="department"
                  defaultChecked={values.scope === "department"}
                />{" "}
                Un département
              </label>
              {errors.scope ? <p className="field-error">{errors.scope}</p> : null}
            </div>
          </fieldset>
          <div className="field">
            <label htmlFor="waveId">Vague</label>
            <select
              id="waveId"
              name="waveId"
              defaultValue={values.waveId ?? ""}
              aria-invalid={Boolean(errors.waveId)}
            >
              <option value="">—</option>
              {calendar.waves
                .filter((w) => w.id !== 0)
                .map((w) => (
                  <option key={w.id} value={w.id}>
                    {w.name}
                  </option>
                ))}
            </select>
            {errors.waveId ? <p className="field-error">{errors.waveId}</p> : null}
          </div>
          <div className="field">
            <label htmlFor="department">Département</label>
            <select
              id="department"
              name="department"
              defaultValue={values.department ?? ""}
              aria-invalid={Boolean(errors.department)}
            >
              <option value="">—</option>
              {calendar.departments.map((d) => (
                <option key={d} value={d}>
                  {d}
                </option>
              ))}
            </select>
            {errors.department ? <p className="field-error">{errors.department}</p> : null}
          </div>
          <div className="field">
            <label htmlFor="days">Nombre de jours</label>
            <input
              id="days"
              name="days"
              type="number"
              min={1}
              max={60}
              defaultValue={values.days ?? "7"}
              aria-invalid={Boolean(errors.days)}
            />
            {errors.days ? <p className="field-error">{errors.days}</p> : null}
          </div>
          <div className="field">
            <label htmlFor="reason">Motif (obligatoire)</label>
            <input
              id="reason"
              name="reason"
              defaultValue={values.reason ?? ""}
              aria-invalid={Boolean(errors.reason)}
            />
            {errors.reason ? <p className="field-error">{errors.reason}</p> : null}
          </div>
          {data?.kind === "preview" ? (
            <div className="alert alert-warning">
              <p>
                {n(data.affected)} fenêtre(s) ouverte(s) de {data.scopeLabel} seront reportée(s) de{" "}
                {data.values.days} jour(s). Confirmez-vous ?
              </p>
              <div className="toolbar">
                <button
                  type="submit"
                  name="intent"
                  value="confirm"
                  className="button button-danger"
                  disabled={busy}
                >
                  Confirmer le report
                </button>
                <button
                  type="submit"
                  name="intent"
                  value="preview"
                  className="button button-secondary"
                  disabled={busy}
                >
                  Recalculer
                </button>
              </div>
            </div>
          ) : (
            <button type="submit" name="intent" value="preview" className="button" disabled={busy}>
              Prévisualiser le report
            </button>
          )}
        </Form>
      </section>
    </>
  );
}
