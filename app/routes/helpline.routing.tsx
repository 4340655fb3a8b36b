import { type ActionFunctionArgs, json, type LoaderFunctionArgs, type MetaFunction } from "@remix-run/node";
import { Form, useActionData, useLoaderData, useNavigation } from "@remix-run/react";
import { z } from "zod";
import { ActionResult } from "~/components/action-result";
import { CsrfInput } from "~/components/csrf";
import { describedBy, FieldError } from "~/components/field";
import { actorOf, requirePermission } from "~/domain/auth/guards.server";
import { DomainError } from "~/domain/domain-error";
import { CASE_TYPE_LABELS, CASE_TYPES, type CaseType, PRESENCE_LABELS } from "~/domain/helpline/case";
import {
  archiveMacro,
  createQueue,
  deleteRule,
  listMacros,
  loadRoutingSetup,
  saveAgent,
  saveMacro,
  saveRule,
  saveSla,
} from "~/domain/helpline/setup.server";
import { formatWorkingMinutes } from "~/domain/helpline/sla";
import { refusal } from "~/http/domain-error";
import { recordId } from "~/http/params";

export const meta: MetaFunction = () => [{ title: "Routage 34 22 — mes-ops" }];

export async function loader({ request, context }: LoaderFunctionArgs) {
  await requirePermission(request, context, "cases:route");
  const [setup, macros] = await Promise.all([loadRoutingSetup(context.db), listMacros(context.db)]);
  return { ...setup, macros };
}

const caseTypeOrAny = z
  .string()
  .transform((v) => (v === "" ? null : v))
  .refine((v) => v === null || (CASE_TYPES as readonly string[]).includes(v), "Motif inconnu.")
  .transform((v) => v as CaseType | null);

const ActionForm = z.discriminatedUnion("intent", [
  z.object({
    intent: z.literal("queue"),
    code: z
      .string()
      .trim()
      .toUpperCase()
      .regex(/^[A-Z0-9_-]{2,20}$/, "Code de file : 2 à 20 lettres, chiffres, - ou _."),
    name: z.string().trim().min(2, "Nom de la file : obligatoire.").max(80),
    isEscalation: z
      .string()
      .optional()
      .transform((v) => v === "on"),
  }),
  z.object({
    intent: z.literal("rule"),
    caseType: caseTypeOrAny,
    department: z
      .string()
      .trim()
      .toUpperCase()
      .regex(/^(\d{2}|2A|2B|97\d)?$/, "Département : 2 chiffres, 2A/2B, 97x, ou vide pour tous.")
      .transform((v) => v || null),
    queueId: recordId("File : obligatoire."),
    priority: z.coerce
      .number()
      .int()
      .min(1, "Priorité : de 1 (urgent) à 5.")
      .max(5, "Priorité : de 1 (urgent) à 5."),
  }),
  z.object({ intent: z.literal("delete_rule"), ruleId: recordId("Règle inconnue.") }),
  z.object({
    intent: z.literal("agent"),
    userId: recordId("Conseiller : obligatoire."),
    capacity: z.coerce.number().int().min(1, "Capacité : au moins 1.").max(50, "Capacité : 50 au plus."),
  }),
  z.object({
    intent: z.literal("sla"),
    caseType: z.enum(CASE_TYPES as [CaseType, ...CaseType[]]),
    hours: z.coerce
      .number()
      .min(0.25, "Objectif : au moins 15 minutes.")
      .max(450, "Objectif : 50 jours ouvrés au plus."),
    warnPct: z.coerce.number().int().min(1).max(99),
  }),
  z.object({
    intent: z.literal("macro"),
    id: recordId("Réponse type inconnue.")
      .optional()
      .or(z.literal("").transform(() => undefined)),
    title: z.string().trim().min(2, "Titre de la réponse type : obligatoire.").max(120),
    body: z.string().trim().min(2, "Texte de la réponse type : obligatoire.").max(4000),
    caseType: caseTypeOrAny,
  }),
  z.object({ intent: z.literal("archive_macro"), id: recordId("Réponse type inconnue.") }),
]);

/**
 * What the action answers. A refusal about one field of one form (`intent`, `field`) is shown beside that
 * field only; any other outcome in the banner under the title.
 */
type ActionData = { ok: boolean; message: string; intent?: string; field?: string };

/** The fields each form shows its errors beside (the others' refusals stay in the banner). */
const FIELD_ERRORS: Record<string, readonly string[]> = { queue: ["code", "name", "isEscalation"] };

function fieldBound(intent: unknown, field: unknown): { intent?: string; field?: string } {
  return typeof intent === "string" && typeof field === "string" && FIELD_ERRORS[intent]?.includes(field)
    ? { intent, field }
    : {};
}

export async function action({ request, context }: ActionFunctionArgs) {
  const user = await requirePermission(request, context, "cases:route");
  const form = await request.formData();
  const parsed = ActionForm.safeParse(Object.fromEntries(form));
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return json<ActionData>(
      {
        ok: false,
        message: issue?.message ?? "Formulaire invalide.",
        ...fieldBound(form.get("intent"), issue?.path[0]),
      },
      { status: 400 },
    );
  }
  const actor = actorOf(user, context);
  const d = parsed.data;
  try {
    switch (d.intent) {
      case "queue":
        await createQueue(context.db, actor, { code: d.code, name: d.name, isEscalation: d.isEscalation });
        return json<ActionData>({ ok: true, message: `File « ${d.name} » créée.` });
      case "rule":
        await saveRule(context.db, actor, d);
        return json<ActionData>({
          ok: true,
          message: "Règle enregistrée (elle s'applique aux nouveaux dossiers).",
        });
      case "delete_rule":
        await deleteRule(context.db, actor, d.ruleId);
        return json<ActionData>({ ok: true, message: "Règle supprimée." });
      case "agent": {
        const skills = form
          .getAll("skills")
          .map(Number)
          .filter((n) => Number.isSafeInteger(n) && n > 0);
        await saveAgent(context.db, actor, { userId: d.userId, capacity: d.capacity, skills });
        return json<ActionData>({ ok: true, message: "Profil du conseiller enregistré." });
      }
      case "sla": {
        const n = await saveSla(context.db, { boss: context.boss }, actor, {
          caseType: d.caseType,
          targetMinutes: Math.round(d.hours * 60),
          warnPct: d.warnPct,
        });
        return json<ActionData>({
          ok: true,
          message: `SLA « ${CASE_TYPE_LABELS[d.caseType]} » enregistré ; ${n} dossier(s) ouvert(s) recalculé(s).`,
        });
      }
      case "macro":
        await saveMacro(context.db, actor, {
          id: d.id ?? null,
          title: d.title,
          body: d.body,
          caseType: d.caseType,
        });
        return json<ActionData>({ ok: true, message: `Réponse type « ${d.title} » enregistrée.` });
      case "archive_macro":
        await archiveMacro(context.db, actor, d.id);
        return json<ActionData>({ ok: true, message: "Réponse type archivée." });
    }
  } catch (error) {
    if (error instanceof DomainError)
      return refusal<ActionData>(error, {
        ok: false,
        message: error.message,
        ...fieldBound(d.intent, error.field),
      });
    throw error;
  }
}

function CaseTypeSelect({ id, defaultValue }: { id: string; defaultValue?: string | null }) {
  return (
    <select id={id} name="caseType" defaultValue={defaultValue ?? ""}>
      <option value="">Tous motifs</option>
      {CASE_TYPES.map((t) => (
        <option key={t} value={t}>
          {CASE_TYPE_LABELS[t]}
        </option>
      ))}
    </select>
  );
}

export default function Routing() {
  const data = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const busy = useNavigation().state !== "idle";
  const queueName = new Map(data.queues.map((q) => [q.id, q.name]));
  // A refusal about a field is said beside it, once; the banner says everything else.
  const fieldError = (intent: string, field: string) =>
    result && !result.ok && result.intent === intent && result.field === field ? result.message : undefined;
  const banner = result && !(result.intent && result.field) ? result : null;
  const queueCodeError = fieldError("queue", "code");
  const queueNameError = fieldError("queue", "name");
  const queueEscalationError = fieldError("queue", "isEscalation");
  return (
    <>
      <div className="page-header">
        <div>
          <h1>Routage 34 22</h1>
          <p className="muted">
            Files, règles (motif × département → file, priorité), conseillers (compétences, capacité), SLA et
            réponses types.
          </p>
        </div>
      </div>
      <ActionResult result={banner} />

      <section className="card" aria-labelledby="queues-title">
        <h2 id="queues-title">Files</h2>
        {data.queues.length === 0 ? (
          <p className="empty">Aucune file : créez la première ci-dessous.</p>
        ) : (
          <div className="table-wrap">
            <table className="table">
              <caption>Files d'attente</caption>
              <thead>
                <tr>
                  <th scope="col">Code</th>
                  <th scope="col">Nom</th>
                  <th scope="col" className="num">
                    En attente
                  </th>
                </tr>
              </thead>
              <tbody>
                {data.queues.map((q) => (
                  <tr key={q.id}>
                    <td className="mono">{q.code}</td>
                    <td>
                      {q.name}{" "}
                      {q.isEscalation ? (
                        <span className="badge badge-info">escalades (SLA dépassés)</span>
                      ) : null}
                    </td>
                    <td className="num">{q.waiting}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
        <Form method="post" className="toolbar">
          <CsrfInput />
          <input type="hidden" name="intent" value="queue" />
          <div className="field">
            <label htmlFor="queue-code">Code</label>
            <input
              id="queue-code"
              name="code"
              type="text"
              maxLength={20}
              required
              {...describedBy("queue-code", { error: queueCodeError })}
            />
            <FieldError id="queue-code" error={queueCodeError} alert />
          </div>
          <div className="field">
            <label htmlFor="queue-name">Nom</label>
            <input
              id="queue-name"
              name="name"
              type="text"
              maxLength={80}
              required
              {...describedBy("queue-name", { error: queueNameError })}
            />
            <FieldError id="queue-name" error={queueNameError} alert />
          </div>
          <div className="field">
            <div className="checkbox">
              <input
                id="queue-escalation"
                name="isEscalation"
                type="checkbox"
                {...describedBy("queue-escalation", { error: queueEscalationError })}
              />
              <label htmlFor="queue-escalation">File d'escalade</label>
            </div>
            <FieldError id="queue-escalation" error={queueEscalationError} alert />
          </div>
          <button type="submit" className="button button-secondary" disabled={busy}>
            Créer la file
          </button>
        </Form>
      </section>

      <section className="card" aria-labelledby="rules-title">
        <h2 id="rules-title">Règles de routage</h2>
        <p className="hint">
          La règle la plus précise gagne : motif + département, puis motif seul, puis département seul, puis
          la règle par défaut. Priorité 1 = la plus urgente.
        </p>
        {data.rules.length === 0 ? (
          <p className="empty">Aucune règle : les dossiers vont dans la première file.</p>
        ) : (
          <div className="table-wrap">
            <table className="table">
              <caption>Règles</caption>
              <thead>
                <tr>
                  <th scope="col">Motif</th>
                  <th scope="col">Département</th>
                  <th scope="col">File</th>
                  <th scope="col" className="num">
                    Priorité
                  </th>
                  <th scope="col">
                    <span className="sr-only">Supprimer</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {data.rules.map((r) => (
                  <tr key={r.id}>
                    <td>{r.caseType ? CASE_TYPE_LABELS[r.caseType] : "Tous motifs"}</td>
                    <td>{r.department ?? "Tous"}</td>
                    <td>{queueName.get(r.queueId)}</td>
                    <td className="num">{r.priority}</td>
                    <td>
                      <details>
                        <summary>
                          Supprimer<span className="sr-only"> la règle {r.id}</span>
                        </summary>
                        <Form method="post">
                          <CsrfInput />
                          <input type="hidden" name="intent" value="delete_rule" />
                          <input type="hidden" name="ruleId" value={r.id} />
                          <button type="submit" className="button button-danger button-small" disabled={busy}>
                            Confirmer la suppression<span className="sr-only"> de la règle {r.id}</span>
                          </button>
                        </Form>
                      </details>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
        <Form method="post" className="toolbar">
          <CsrfInput />
          <input type="hidden" name="intent" value="rule" />
          <div className="field">
            <label htmlFor="rule-type">Motif</label>
            <CaseTypeSelect id="rule-type" />
          </div>
          <div className="field">
            <label htmlFor="rule-dept">Département (vide = tous)</label>
            <input id="rule-dept" name="department" type="text" maxLength={3} />
          </div>
          <div className="field">
            <label htmlFor="rule-queue">File</label>
            <select id="rule-queue" name="queueId" required>
              {data.queues.map((q) => (
                <option key={q.id} value={q.id}>
                  {q.name}
                </option>
              ))}
            </select>
          </div>
          <div className="field">
            <label htmlFor="rule-priority">Priorité</label>
            <input
              id="rule-priority"
              name="priority"
              type="number"
              min={1}
              max={5}
              defaultValue={3}
              required
            />
          </div>
          <button
            type="submit"
            className="button button-secondary"
            disabled={busy || data.queues.length === 0}
          >
            Enregistrer la règle
          </button>
        </Form>
      </section>

      <section className="card" aria-labelledby="agents-title">
        <h2 id="agents-title">Conseillers</h2>
        {data.agents.length === 0 ? <p className="empty">Aucun profil de conseiller.</p> : null}
        {data.agents.map((a) => (
          <Form method="post" key={a.userId} className="toolbar" aria-label={`Profil de ${a.name}`}>
            <CsrfInput />
            <input type="hidden" name="intent" value="agent" />
            <input type="hidden" name="userId" value={a.userId} />
            <strong>{a.name}</strong>
            <span className="muted">
              {PRESENCE_LABELS[a.presence]} · {a.load} ouverts
            </span>
            <div className="field">
              <label htmlFor={`cap-${a.userId}`}>Capacité</label>
              <input
                id={`cap-${a.userId}`}
                name="capacity"
                type="number"
                min={1}
                max={50}
                defaultValue={a.capacity}
              />
            </div>
            <fieldset>
              <legend>Compétences</legend>
              {data.queues.map((q) => (
                <span key={q.id} className="checkbox">
                  <input
                    type="checkbox"
                    id={`skill-${a.userId}-${q.id}`}
                    name="skills"
                    value={q.id}
                    defaultChecked={a.skills.includes(q.id)}
                  />
                  <label htmlFor={`skill-${a.userId}-${q.id}`}>{q.name}</label>
                </span>
              ))}
            </fieldset>
            <button type="submit" className="button button-secondary button-small" disabled={busy}>
              Enregistrer<span className="sr-only"> le profil de {a.name}</span>
            </button>
          </Form>
        ))}
        {data.candidates.length > 0 ? (
          <Form method="post" className="toolbar">
            <CsrfInput />
            <input type="hidden" name="intent" value="agent" />
            <div className="field">
              <label htmlFor="new-agent">Ajouter un conseiller</label>
              <select id="new-agent" name="userId">
                {data.candidates.map((c) => (
                  <option key={c.userId} value={c.userId}>
                    {c.name} ({c.email})
                  </option>
                ))}
              </select>
            </div>
            <div className="field">
              <label htmlFor="new-agent-cap">Capacité</label>
              <input id="new-agent-cap" name="capacity" type="number" min={1} max={50} defaultValue={3} />
            </div>
            <button type="submit" className="button button-secondary" disabled={busy}>
              Ajouter
            </button>
          </Form>
        ) : null}
      </section>

      <section className="card" aria-labelledby="sla-title">
        <h2 id="sla-title">SLA par motif</h2>
        <p className="hint">
          En heures ouvrées (une journée = 9 h, lundi–vendredi 8 h 30–17 h 30, hors fériés). Modifier un SLA
          recalcule les dossiers ouverts.
        </p>
        <div className="table-wrap">
          <table className="table">
            <caption>Objectifs de traitement</caption>
            <thead>
              <tr>
                <th scope="col">Motif</th>
                <th scope="col">Actuel</th>
                <th scope="col">Modifier</th>
              </tr>
            </thead>
            <tbody>
              {data.slas.map((s) => (
                <tr key={s.caseType}>
                  <td>{CASE_TYPE_LABELS[s.caseType]}</td>
                  <td>
                    {s.targetMinutes
                      ? `${formatWorkingMinutes(s.targetMinutes)} (alerte à ${s.warnPct} %)`
                      : "aucun"}
                  </td>
                  <td>
                    <Form method="post" className="toolbar">
                      <CsrfInput />
                      <input type="hidden" name="intent" value="sla" />
                      <input type="hidden" name="caseType" value={s.caseType} />
                      <label htmlFor={`sla-h-${s.caseType}`} className="sr-only">
                        Objectif en heures ouvrées ({CASE_TYPE_LABELS[s.caseType]})
                      </label>
                      <input
                        id={`sla-h-${s.caseType}`}
                        name="hours"
                        type="number"
                        step="0.25"
                        min={0.25}
                        defaultValue={s.targetMinutes ? s.targetMinutes / 60 : 18}
                      />
                      <span>h</span>
                      <label htmlFor={`sla-w-${s.caseType}`} className="sr-only">
                        Seuil d'alerte en % ({CASE_TYPE_LABELS[s.caseType]})
                      </label>
                      <input
                        id={`sla-w-${s.caseType}`}
                        name="warnPct"
                        type="number"
                        min={1}
                        max={99}
                        defaultValue={s.warnPct}
                      />
                      <span>%</span>
                      <button type="submit" className="button button-secondary button-small" disabled={busy}>
                        Enregistrer<span className="sr-only"> le SLA {CASE_TYPE_LABELS[s.caseType]}</span>
                      </button>
                    </Form>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </section>

      <section className="card" aria-labelledby="macros-title">
        <h2 id="macros-title">Réponses types</h2>
        {data.macros.length === 0 ? <p className="empty">Aucune réponse type.</p> : null}
        {data.macros.map((m) => (
          <details key={m.id} className="details">
            <summary>
              {m.title}{" "}
              <span className="muted">({m.caseType ? CASE_TYPE_LABELS[m.caseType] : "tous motifs"})</span>
            </summary>
            <Form method="post" className="stack">
              <CsrfInput />
              <input type="hidden" name="intent" value="macro" />
              <input type="hidden" name="id" value={m.id} />
              <div className="field">
                <label htmlFor={`m-title-${m.id}`}>Titre</label>
                <input
                  id={`m-title-${m.id}`}
                  name="title"
                  type="text"
                  defaultValue={m.title}
                  maxLength={120}
                />
              </div>
              <div className="field">
                <label htmlFor={`m-type-${m.id}`}>Motif</label>
                <CaseTypeSelect id={`m-type-${m.id}`} defaultValue={m.caseType} />
              </div>
              <div className="field">
                <label htmlFor={`m-body-${m.id}`}>Texte</label>
                <textarea id={`m-body-${m.id}`} name="body" rows={4} defaultValue={m.body} />
              </div>
              <div className="toolbar">
                <button type="submit" className="button button-secondary button-small" disabled={busy}>
                  Enregistrer
                </button>
              </div>
            </Form>
            <Form method="post">
              <CsrfInput />
              <input type="hidden" name="intent" value="archive_macro" />
              <input type="hidden" name="id" value={m.id} />
              <button type="submit" className="button button-danger button-small" disabled={busy}>
                Archiver « {m.title} »
              </button>
            </Form>
          </details>
        ))}
        <Form method="post" className="stack">
          <h3>Nouvelle réponse type</h3>
          <CsrfInput />
          <input type="hidden" name="intent" value="macro" />
          <div className="field">
            <label htmlFor="new-macro-title">Titre</label>
            <input id="new-macro-title" name="title" type="text" maxLength={120} />
          </div>
          <div className="field">
            <label htmlFor="new-macro-type">Motif</label>
            <CaseTypeSelect id="new-macro-type" />
          </div>
          <div className="field">
            <label htmlFor="new-macro-body">Texte</label>
            <textarea id="new-macro-body" name="body" rows={4} />
          </div>
          <div>
            <button type="submit" className="button button-secondary" disabled={busy}>
              Ajouter la réponse type
            </button>
          </div>
        </Form>
      </section>
    </>
  );
}
