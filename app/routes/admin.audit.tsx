import type { LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { Form, Link, useLoaderData } from "@remix-run/react";
import { z } from "zod";
import { Field } from "~/components/field";
import { Pagination } from "~/components/pagination";
import { auditVocabulary, readAuditLog } from "~/domain/admin/audit-log.server";
import { auditActionLabel, auditDetailFields, auditObjectLabel } from "~/domain/audit/labels";
import { requirePermission } from "~/domain/auth/guards.server";
import { isCalendarDate, PARIS } from "~/domain/lifecycle/paris-time";

export const meta: MetaFunction = () => [{ title: "Journal d'audit — mes-ops" }];

const isoDate = z
  .string()
  .trim()
  .regex(/^\d{4}-\d{2}-\d{2}$/, "Date attendue au format AAAA-MM-JJ.")
  .refine(isCalendarDate, "Cette date n'existe pas.");
const optionalText = (max: number) =>
  z
    .string()
    .trim()
    .max(max, `${max} caractères au plus.`)
    .optional()
    .transform((v) => v || undefined);

const Filters = z
  .object({
    user: optionalText(254),
    action: optionalText(100),
    objectType: optionalText(60),
    objectId: optionalText(100),
    from: z
      .union([isoDate, z.literal("")])
      .optional()
      .transform((v) => v || undefined),
    to: z
      .union([isoDate, z.literal("")])
      .optional()
      .transform((v) => v || undefined),
    after: z.coerce.number().int().positive().optional().catch(undefined),
  })
  .refine((f) => !f.from || !f.to || f.from <= f.to, {
    path: ["to"],
    message: "La date de fin doit suivre la date de début.",
  })
  .refine((f) => !f.objectId || f.objectType, {
    path: ["objectId"],
    message: "Précisez le type d'objet pour filtrer par identifiant.",
  });

// To the second: several entries often share a minute.
const AT_FORMAT = new Intl.DateTimeFormat("fr-FR", {
  timeZone: PARIS,
  day: "2-digit",
  month: "2-digit",
  year: "numeric",
  hour: "2-digit",
  minute: "2-digit",
  second: "2-digit",
});

const FILTER_KEYS = ["user", "action", "objectType", "objectId", "from", "to"] as const;

export async function loader({ request, context }: LoaderFunctionArgs) {
  await requirePermission(request, context, "audit:read");
  const search = new URL(request.url).searchParams;
  const raw: Record<string, string> = {};
  for (const key of [...FILTER_KEYS, "after"]) {
    const v = search.get(key);
    if (v !== null) raw[key] = v;
  }
  const codes = await auditVocabulary(context.db);
  const vocabulary = {
    actions: codes.actions
      .map((value) => ({ value, label: auditActionLabel(value) }))
      .sort((a, b) => a.label.localeCompare(b.label, "fr")),
    objectTypes: codes.objectTypes
      .map((value) => ({ value, label: auditObjectLabel(value) }))
      .sort((a, b) => a.label.localeCompare(b.label, "fr")),
  };
  const parsed = Filters.safeParse(raw);
  const values = Object.fromEntries(FILTER_KEYS.map((k) => [k, raw[k] ?? ""])) as Record<
    (typeof FILTER_KEYS)[number],
    string
  >;
  if (!parsed.success) {
    const errors: Record<string, string> = {};
    for (const issue of parsed.error.issues) errors[String(issue.path[0])] ??= issue.message;
    return { values, errors, vocabulary, rows: [], nextAfter: null, unknownUser: false, firstPage: true };
  }
  const f = parsed.data;
  const page = await readAuditLog(context.db, {
    filters: {
      userEmail: f.user,
      action: f.action,
      objectType: f.objectType,
      objectId: f.objectId,
      from: f.from,
      to: f.to,
    },
    after: f.after ?? null,
  });
  const rows =
    page.kind === "page"
      ? page.rows.map((r) => ({
          id: r.id,
          at: AT_FORMAT.format(r.at),
          actor: r.actorLabel,
          action: auditActionLabel(r.action),
          object: auditObjectLabel(r.objectType),
          objectId: r.objectId,
          ip: r.ip,
          requestId: r.requestId,
          details: auditDetailFields(JSON.parse(r.details) as Record<string, unknown>),
        }))
      : [];
  return {
    values,
    errors: {} as Record<string, string>,
    vocabulary,
    rows,
    nextAfter: page.kind === "page" ? page.nextCursor : null,
    unknownUser: page.kind === "unknown_user",
    firstPage: !f.after,
  };
}

export default function AuditLog() {
  const data = useLoaderData<typeof loader>();
  const filterQuery = new URLSearchParams(Object.entries(data.values).filter(([, v]) => v !== "")).toString();
  const nextHref = data.nextAfter ? `?${filterQuery ? `${filterQuery}&` : ""}after=${data.nextAfter}` : null;
  const hasFilters = filterQuery !== "";
  return (
    <>
      <div className="page-header">
        <h1>Journal d'audit</h1>
      </div>
      <Form method="get" className="audit-filters" aria-label="Filtres du journal" key={filterQuery}>
        <Field
          id="f-user"
          name="user"
          label="Utilisateur (adresse e-mail)"
          defaultValue={data.values.user}
          error={data.errors.user}
          type="email"
        />
        <SelectField
          id="f-action"
          name="action"
          label="Action"
          defaultValue={data.values.action}
          error={data.errors.action}
          options={data.vocabulary.actions}
          empty="Toutes les actions"
        />
        <SelectField
          id="f-objectType"
          name="objectType"
          label="Type d'objet"
          defaultValue={data.values.objectType}
          error={data.errors.objectType}
          options={data.vocabulary.objectTypes}
          empty="Tous les types"
        />
        <Field
          id="f-objectId"
          name="objectId"
          label="Identifiant de l'objet"
          defaultValue={data.values.objectId}
          error={data.errors.objectId}
        />
        <Field
          id="f-from"
          name="from"
          label="Du (heure de Paris)"
          defaultValue={data.values.from}
          error={data.errors.from}
          type="date"
        />
        <Field
          id="f-to"
          name="to"
          label="Au (inclus)"
          defaultValue={data.values.to}
          error={data.errors.to}
          type="date"
        />
        <div className="toolbar">
          <button type="submit" className="button">
            Filtrer
          </button>
          {hasFilters ? <Link to="/admin/audit">Effacer les filtres</Link> : null}
        </div>
      </Form>

      {data.unknownUser ? (
        <p className="alert alert-warning">Aucun utilisateur n'a l'adresse « {data.values.user} ».</p>
      ) : data.rows.length === 0 ? (
        <p className="empty">
          {Object.keys(data.errors).length > 0
            ? "Corrigez les filtres signalés."
            : hasFilters
              ? "Aucune entrée ne correspond à ces filtres."
              : "Le journal est vide."}
        </p>
      ) : (
        <div className="table-wrap">
          <table className="table audit-table">
            <caption className="sr-only">
              Entrées du journal d'audit, des plus récentes aux plus anciennes
            </caption>
            <thead>
              <tr>
                <th scope="col">Date (Paris)</th>
                <th scope="col">Auteur</th>
                <th scope="col">Action</th>
                <th scope="col">Objet</th>
                <th scope="col">Détails</th>
                <th scope="col">Origine</th>
              </tr>
            </thead>
            <tbody>
              {data.rows.map((r) => (
                <tr key={r.id}>
                  <td className="nowrap">{r.at}</td>
                  <td>{r.actor}</td>
                  <td>{r.action}</td>
                  <td className="nowrap">
                    {r.object}
                    {r.objectId ? ` n° ${r.objectId}` : ""}
                  </td>
                  <td className="audit-details">
                    {r.details.length === 0 ? (
                      "—"
                    ) : (
                      <ul className="audit-detail-list">
                        {r.details.map((d) => (
                          <li key={d.label}>
                            <span className="muted">{d.label} :</span> {d.value}
                          </li>
                        ))}
                      </ul>
                    )}
                  </td>
                  <td className="mono">
                    {r.ip ?? "—"}
                    {r.requestId ? (
                      <span className="hint" title={`Requête ${r.requestId}`}>
                        {" "}
                        · {r.requestId.slice(0, 8)}
                      </span>
                    ) : null}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <Pagination
        label="Pagination du journal"
        previous={
          !data.firstPage
            ? { to: filterQuery ? `?${filterQuery}` : "/admin/audit", label: "← Revenir aux plus récentes" }
            : null
        }
        next={nextHref ? { to: nextHref, label: "Entrées plus anciennes →" } : null}
        note="50 entrées par page."
      />
    </>
  );
}

/** A select of coded values shown by their French labels (the option's value is the code). */
function SelectField({
  id,
  name,
  label,
  defaultValue,
  error,
  options,
  empty,
}: {
  id: string;
  name: string;
  label: string;
  defaultValue: string;
  error?: string;
  options: Array<{ value: string; label: string }>;
  empty: string;
}) {
  const known = options.some((o) => o.value === defaultValue);
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      <select
        id={id}
        name={name}
        defaultValue={defaultValue}
        aria-invalid={error ? true : undefined}
        aria-describedby={error ? `${id}-error` : undefined}
      >
        <option value="">{empty}</option>
        {defaultValue && !known ? <option value={defaultValue}>{defaultValue}</option> : null}
        {options.map((o) => (
          <option key={o.value} value={o.value}>
            {o.label}
          </option>
        ))}
      </select>
      {error ? (
        <span id={`${id}-error`} className="field-error">
          {error}
        </span>
      ) : null}
    </div>
  );
}
