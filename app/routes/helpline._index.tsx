import {
  type ActionFunctionArgs,
  json,
  type LoaderFunctionArgs,
  type MetaFunction,
  redirect,
} from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData, useNavigation } from "@remix-run/react";
import { z } from "zod";
import { ActionResult } from "~/components/action-result";
import { CsrfInput } from "~/components/csrf";
import { actorOf, requirePermission } from "~/domain/auth/guards.server";
import { DomainError } from "~/domain/domain-error";
import { setPresence, takeNextCase } from "~/domain/helpline/agent-commands.server";
import {
  CASE_STATE_LABELS,
  CASE_TYPE_LABELS,
  CASE_TYPES,
  type CaseSummary,
  PRESENCE_LABELS,
  PRESENCES,
  SLA_STATUS_LABELS,
} from "~/domain/helpline/case";
import { loadConsole } from "~/domain/helpline/case-queries.server";
import { createCase } from "~/domain/helpline/cases.server";
import { formatDateTime } from "~/domain/lifecycle/paris-time";
import { refusal } from "~/http/domain-error";

export const meta: MetaFunction = () => [{ title: "Console 34 22 — mes-ops" }];

export async function loader({ request, context }: LoaderFunctionArgs) {
  const user = await requirePermission(request, context, "cases:work");
  const data = await loadConsole(context.db, user.id);
  return { ...data, mayRoute: user.permissions.has("cases:route") };
}

const ActionForm = z.discriminatedUnion("intent", [
  z.object({ intent: z.literal("next") }),
  z.object({ intent: z.literal("presence"), presence: z.enum(["available", "busy", "away"]) }),
  z.object({
    intent: z.literal("create"),
    type: z.enum(CASE_TYPES as [string, ...string[]], { message: "Motif de l'appel : choisissez-en un." }),
    department: z
      .string()
      .trim()
      .toUpperCase()
      .regex(/^(\d{2}|2A|2B|97\d)?$/, "Département : 2 chiffres, 2A/2B ou 97x.")
      .optional(),
    callerNumber: z
      .string()
      .trim()
      .regex(/^(\+?[0-9 .-]{6,20})?$/, "Numéro de l'appelant : chiffres, espaces, points ou tirets.")
      .optional(),
    subject: z.string().trim().max(500, "Objet : 500 caractères au plus.").optional(),
  }),
]);

type ActionData = { ok: boolean; message: string; fieldErrors?: Record<string, string> };

export async function action({ request, context }: ActionFunctionArgs) {
  const user = await requirePermission(request, context, "cases:work");
  const parsed = ActionForm.safeParse(Object.fromEntries(await request.formData()));
  if (!parsed.success) {
    const fieldErrors: Record<string, string> = {};
    for (const issue of parsed.error.issues) fieldErrors[String(issue.path[0])] ??= issue.message;
    return json<ActionData>(
      { ok: false, message: "Formulaire incomplet : voir les champs signalés.", fieldErrors },
      { status: 400 },
    );
  }
  const actor = actorOf(user, context);
  try {
    switch (parsed.data.intent) {
      case "next": {
        const next = await takeNextCase(context.db, actor, { userId: user.id });
        if (!next.ok)
          return json<ActionData>({ ok: false, message: `Pas de dossier suivant : ${next.reason}.` });
        return redirect(`/helpline/cases/${next.caseId}`);
      }
      case "presence": {
        const run = await setPresence(context.db, actor, { userId: user.id, presence: parsed.data.presence });
        const extra = run.assigned > 0 ? ` ${run.assigned} dossier(s) en attente vous ont été affectés.` : "";
        return json<ActionData>({
          ok: true,
          message: `Statut : ${PRESENCE_LABELS[parsed.data.presence]}.${extra}`,
        });
      }
      case "create": {
        const d = parsed.data;
        const created = await createCase(context.db, { boss: context.boss }, actor, {
          type: d.type as (typeof CASE_TYPES)[number],
          origin: "agent",
          department: d.department || null,
          callerNumber: d.callerNumber || null,
          subject: d.subject || null,
          createdBy: user.id,
          claimedBy: user.id,
        });
        return redirect(`/helpline/cases/${created.caseId}`);
      }
    }
  } catch (error) {
    if (error instanceof DomainError)
      return refusal<ActionData>(error, { ok: false, message: error.message });
    throw error;
  }
}

function SlaBadge({ status }: { status: keyof typeof SLA_STATUS_LABELS }) {
  const cls =
    status === "ok"
      ? "badge badge-success"
      : status === "at_risk"
        ? "badge badge-warning"
        : "badge badge-error";
  return <span className={cls}>SLA {SLA_STATUS_LABELS[status]}</span>;
}

function CaseTable({ cases, caption }: { cases: CaseSummary[]; caption: string }) {
  return (
    <div className="table-wrap">
      <table className="table">
        <caption>{caption}</caption>
        <thead>
          <tr>
            <th scope="col">Dossier</th>
            <th scope="col">Motif</th>
            <th scope="col">État</th>
            <th scope="col">File</th>
            <th scope="col">Appelant</th>
            <th scope="col">Ouvert le</th>
            <th scope="col">SLA</th>
          </tr>
        </thead>
        <tbody>
          {cases.map((c) => (
            <tr key={c.id}>
              <td>
                <Link to={`/helpline/cases/${c.id}`}>n° {c.id}</Link>
              </td>
              <td>{CASE_TYPE_LABELS[c.type]}</td>
              <td>{CASE_STATE_LABELS[c.state]}</td>
              <td>{c.queueName}</td>
              <td>{c.personName ?? <span className="muted">non identifié</span>}</td>
              <td>{formatDateTime(new Date(c.createdAt))}</td>
              <td>
                <SlaBadge status={c.slaStatus} />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

export default function HelplineConsole() {
  const data = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const navigation = useNavigation();
  const busy = navigation.state !== "idle";
  const errors = result && "fieldErrors" in result ? (result.fieldErrors ?? {}) : {};
  return (
    <>
      <div className="page-header">
        <div>
          <h1>Console 34 22</h1>
          <p className="muted">
            Vos dossiers, le dossier suivant, et l'ouverture d'un dossier pendant un appel.
          </p>
        </div>
      </div>
      <ActionResult result={result} />
      {!data.agent ? (
        <div className="alert alert-warning">
          Vous n'avez pas encore de profil de conseiller (files et capacité) : demandez à un superviseur de
          vous l'ouvrir dans « Routage ».
        </div>
      ) : null}

      <div className="helpline-cols">
        <section className="card" aria-labelledby="presence-title">
          <h2 id="presence-title">Mon statut</h2>
          {data.agent ? (
            <Form method="post" className="toolbar">
              <CsrfInput />
              <input type="hidden" name="intent" value="presence" />
              <div className="field">
                <label htmlFor="presence">Présence</label>
                <select id="presence" name="presence" defaultValue={data.agent.presence}>
                  {PRESENCES.map((p) => (
                    <option key={p} value={p}>
                      {PRESENCE_LABELS[p]}
                    </option>
                  ))}
                </select>
              </div>
              <button type="submit" className="button button-secondary" disabled={busy}>
                Changer de statut
              </button>
            </Form>
          ) : (
            <p className="empty">Aucun profil.</p>
          )}
          <p className="hint">
            Capacité : {data.agent?.capacity ?? 0} dossiers ouverts à la fois ; {data.myCases.length} ouverts.
          </p>
        </section>
        <section className="card" aria-labelledby="next-title">
          <h2 id="next-title">Dossier suivant</h2>
          <p>
            <span className="stat-value">{data.waitingInMyQueues}</span> dossier(s) en attente dans vos files.
          </p>
          <Form method="post">
            <CsrfInput />
            <input type="hidden" name="intent" value="next" />
            <button type="submit" className="button" disabled={busy || !data.agent}>
              Dossier suivant
            </button>
          </Form>
          <p className="hint">
            Vos dossiers affectés non commencés d'abord, puis le plus ancien prioritaire de vos files.
          </p>
        </section>
      </div>

      <section aria-labelledby="mine-title">
        <h2 id="mine-title">Mes dossiers ouverts</h2>
        {data.myCases.length === 0 ? (
          <p className="empty">Aucun dossier ouvert : prenez le dossier suivant.</p>
        ) : (
          <CaseTable
            cases={data.myCases}
            caption="Dossiers qui vous sont affectés, par priorité puis ancienneté"
          />
        )}
      </section>

      <section className="card" aria-labelledby="create-title">
        <h2 id="create-title">Ouvrir un dossier pendant un appel</h2>
        <Form method="post" className="stack" noValidate>
          <CsrfInput />
          <input type="hidden" name="intent" value="create" />
          <div className="field">
            <label htmlFor="type">Motif de l'appel</label>
            <select
              id="type"
              name="type"
              aria-invalid={Boolean(errors.type)}
              aria-describedby={errors.type ? "type-error" : undefined}
            >
              {CASE_TYPES.map((t) => (
                <option key={t} value={t}>
                  {CASE_TYPE_LABELS[t]}
                </option>
              ))}
            </select>
            {errors.type ? (
              <p id="type-error" className="field-error">
                {errors.type}
              </p>
            ) : null}
          </div>
          <div className="field">
            <label htmlFor="department">Département de l'appelant (facultatif)</label>
            <input
              id="department"
              name="department"
              type="text"
              inputMode="text"
              maxLength={3}
              aria-invalid={Boolean(errors.department)}
              aria-describedby="department-hint department-error"
            />
            <p id="department-hint" className="hint">
              Ex. 31, 2A, 974. Sert au routage par département.
            </p>
            {errors.department ? (
              <p id="department-error" className="field-error">
                {errors.department}
              </p>
            ) : null}
          </div>
          <div className="field">
            <label htmlFor="callerNumber">Numéro de l'appelant (facultatif)</label>
            <input
              id="callerNumber"
              name="callerNumber"
              type="tel"
              aria-invalid={Boolean(errors.callerNumber)}
              aria-describedby={errors.callerNumber ? "callerNumber-error" : undefined}
            />
            {errors.callerNumber ? (
              <p id="callerNumber-error" className="field-error">
                {errors.callerNumber}
              </p>
            ) : null}
          </div>
          <div className="field">
            <label htmlFor="subject">Objet (facultatif)</label>
            <input id="subject" name="subject" type="text" maxLength={500} />
          </div>
          <div>
            <button type="submit" className="button" disabled={busy || !data.agent}>
              Ouvrir le dossier
            </button>
          </div>
        </Form>
      </section>

      <section aria-labelledby="resolved-title">
        <h2 id="resolved-title">Derniers dossiers résolus</h2>
        {data.recentlyResolved.length === 0 ? (
          <p className="empty">Aucun dossier résolu pour l'instant.</p>
        ) : (
          <CaseTable cases={data.recentlyResolved} caption="Vos 10 derniers dossiers résolus" />
        )}
      </section>
    </>
  );
}
