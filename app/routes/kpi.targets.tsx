import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { Form, useActionData, useLoaderData, useNavigation } from "@remix-run/react";
import { z } from "zod";
import { CsrfInput } from "~/components/csrf";
import { describedBy, FieldError } from "~/components/field";
import { actorOf, requirePermission } from "~/domain/auth/guards.server";
import { DomainError } from "~/domain/domain-error";
import { loadCatalogue, loadTargetHistory } from "~/domain/kpi/catalogue.server";
import { parseFrenchNumber } from "~/domain/kpi/format";
import { presentCell } from "~/domain/kpi/suppression";
import { setTarget } from "~/domain/kpi/targets.server";
import { formatDateTime } from "~/domain/lifecycle/paris-time";
import { fieldErrorsOf } from "~/http/domain-error";

export const meta: MetaFunction = () => [{ title: "Cibles des indicateurs — mes-ops" }];

export async function loader({ request, context }: LoaderFunctionArgs) {
  await requirePermission(request, context, "kpi:write");
  const [indicators, history] = await Promise.all([loadCatalogue(context.db), loadTargetHistory(context.db)]);
  return { indicators: indicators.map((i) => ({ code: i.code, label: i.label, unit: i.unit })), history };
}

const schema = z.object({
  indicator: z.string().min(1, "choisissez un indicateur"),
  year: z.coerce
    .number({ invalid_type_error: "année invalide" })
    .int("année invalide")
    .min(2020, "année entre 2020 et 2100")
    .max(2100, "année entre 2020 et 2100"),
  value: z
    .string()
    .transform((v) => parseFrenchNumber(v))
    .refine((v): v is number => v !== null && v >= 0, "valeur positive attendue (ex. 400 000 000 ou 50)"),
  note: z.string().trim().max(300, "300 caractères au plus").default(""),
});

export async function action({ request, context }: ActionFunctionArgs) {
  const user = await requirePermission(request, context, "kpi:write");
  const parsed = schema.safeParse(Object.fromEntries(await request.formData()));
  if (!parsed.success) {
    return {
      ok: false as const,
      errors: parsed.error.flatten().fieldErrors as Record<string, string[] | undefined>,
    };
  }
  const { indicator, year, value, note } = parsed.data;
  try {
    await context.db.transaction().execute((trx) =>
      setTarget(trx, actorOf(user, context), {
        indicatorCode: indicator,
        year,
        value: value as number,
        note,
      }),
    );
  } catch (error) {
    if (error instanceof DomainError) return { ok: false as const, errors: fieldErrorsOf(error, "value") };
    throw error;
  }
  return { ok: true as const, errors: {} as Record<string, string[] | undefined> };
}

export default function KpiTargets() {
  const { indicators, history } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const busy = useNavigation().state === "submitting";
  const unitOf = new Map(indicators.map((i) => [i.code, i.unit]));
  const labelOf = new Map(indicators.map((i) => [i.code, i.label]));
  const err = (f: string) => result?.errors[f]?.[0];
  return (
    <>
      <div className="page-header">
        <h1>Cibles des indicateurs</h1>
      </div>
      {result?.ok ? (
        <output className="alert alert-success">
          Cible enregistrée ; la précédente est conservée dans l'historique.
        </output>
      ) : null}
      <Form method="post" className="card stack" aria-labelledby="target-form-title">
        <h2 id="target-form-title">Fixer une cible annuelle</h2>
        <CsrfInput />
        <div className="field">
          <label htmlFor="target-indicator">Indicateur</label>
          <select
            id="target-indicator"
            name="indicator"
            required
            {...describedBy("target-indicator", { error: err("indicator") })}
          >
            {indicators.map((i) => (
              <option key={i.code} value={i.code}>
                {i.label}
              </option>
            ))}
          </select>
          <FieldError id="target-indicator" error={err("indicator")} />
        </div>
        <div className="field">
          <label htmlFor="target-year">Année</label>
          <input
            id="target-year"
            name="year"
            type="number"
            min={2020}
            max={2100}
            required
            defaultValue={2026}
            {...describedBy("target-year", { error: err("year") })}
          />
          <FieldError id="target-year" error={err("year")} />
        </div>
        <div className="field">
          <label htmlFor="target-value">Valeur cible (nombre, ou % pour un taux)</label>
          <input
            id="target-value"
            name="value"
            type="text"
            inputMode="decimal"
            required
            {...describedBy("target-value", { error: err("value"), hint: true })}
          />
          <FieldError id="target-value" error={err("value")} />
          <p className="hint" id="target-value-hint">
            Ex. 400 000 000 documents, ou 50 pour 50 %.
          </p>
        </div>
        <div className="field">
          <label htmlFor="target-note">Source ou justification</label>
          <input
            id="target-note"
            name="note"
            type="text"
            maxLength={300}
            {...describedBy("target-note", { error: err("note") })}
          />
          <FieldError id="target-note" error={err("note")} />
        </div>
        <div>
          <button type="submit" className="button" disabled={busy}>
            Enregistrer la cible
          </button>
        </div>
      </Form>
      <section className="card" aria-labelledby="target-history">
        <h2 id="target-history">Cibles et historique</h2>
        {history.length === 0 ? (
          <p className="empty">Aucune cible n'est encore fixée.</p>
        ) : (
          <div className="table-wrap">
            <table className="table">
              <thead>
                <tr>
                  <th scope="col">Indicateur</th>
                  <th scope="col" className="num">
                    Année
                  </th>
                  <th scope="col" className="num">
                    Cible
                  </th>
                  <th scope="col">Fixée le</th>
                  <th scope="col">État</th>
                  <th scope="col">Source</th>
                </tr>
              </thead>
              <tbody>
                {history.map((t) => (
                  <tr key={t.id}>
                    <td>{labelOf.get(t.indicatorCode) ?? t.indicatorCode}</td>
                    <td className="num">{t.year}</td>
                    <td className="num">
                      {presentCell(t.value, unitOf.get(t.indicatorCode) ?? "count").text}
                    </td>
                    <td>{formatDateTime(new Date(t.createdAt))}</td>
                    <td>
                      {t.supersededAt ? (
                        <span className="badge">Remplacée le {formatDateTime(new Date(t.supersededAt))}</span>
                      ) : (
                        <span className="badge badge-info">En vigueur</span>
                      )}
                    </td>
                    <td>{t.note}</td>
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
