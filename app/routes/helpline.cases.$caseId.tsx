import { type ActionFunctionArgs, json, type LoaderFunctionArgs, type MetaFunction } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData, useNavigation, useSearchParams } from "@remix-run/react";
import { useState } from "react";
import { z } from "zod";
import { CsrfInput } from "~/components/csrf";
import { PersonTimeline } from "~/components/person-timeline";
import { actorOf, forbidden, requirePermission } from "~/domain/auth/guards.server";
import type { Permission } from "~/domain/auth/permissions";
import { reassignCase } from "~/domain/helpline/agent-commands.server";
import { findCallers } from "~/domain/helpline/callers.server";
import {
  CASE_STATE_LABELS,
  CASE_TYPE_LABELS,
  CASE_TYPES,
  type CaseState,
  type CaseType,
  MANUAL_STATE_CHANGES,
  RESET_CHANNEL_LABELS,
  SLA_STATUS_LABELS,
} from "~/domain/helpline/case";
import { listAgents, loadCase } from "~/domain/helpline/case-queries.server";
import { addCaseNote, changeCaseState, changeCaseType } from "~/domain/helpline/cases.server";
import { HelplineError, httpStatusOf } from "~/domain/helpline/errors";
import {
  closeSpace,
  recordIdentityCheck,
  recordOpposition,
  resendNotification,
  resetCode,
} from "~/domain/helpline/person-actions.server";
import { listMacros } from "~/domain/helpline/setup.server";
import { formatWorkingMinutes } from "~/domain/helpline/sla";
import { formatDateTime, formatShortDate } from "~/domain/lifecycle/paris-time";
import { STATE_LABELS } from "~/domain/lifecycle/transitions";
import { personTimeline } from "~/domain/persons/persons.server";

export const meta: MetaFunction<typeof loader> = ({ data }) => [
  { title: `${data ? `Dossier n° ${data.case.id}` : "Dossier"} — 34 22 — mes-ops` },
];

const SearchQuery = z.union([
  z.object({ nir: z.string().trim().min(1) }),
  z.object({
    lastName: z.string().trim().min(1, "Nom : obligatoire."),
    birthDate: z.string().regex(/^\d{4}-\d{2}-\d{2}$/, "Date de naissance : JJ/MM/AAAA attendue."),
    postalCode: z
      .string()
      .trim()
      .regex(/^(\d{5})?$/, "Code postal : 5 chiffres.")
      .optional(),
  }),
]);

export async function loader({ request, params, context }: LoaderFunctionArgs) {
  const user = await requirePermission(request, context, "cases:work");
  const caseId = Number(params.caseId);
  if (!Number.isInteger(caseId) || caseId <= 0) throw new Response("Dossier introuvable.", { status: 404 });
  const showNir = user.permissions.has("persons:read_nir");
  const found = await loadCase(context.db, caseId, { showNir, viewerId: user.id });
  if (!found) throw new Response(`Le dossier n° ${caseId} n'existe pas.`, { status: 404 });
  const mayRoute = user.permissions.has("cases:route");
  const mine = found.assignedUserId === user.id;
  const url = new URL(request.url);
  const raw = Object.fromEntries(url.searchParams);
  let search: { error: string | null; matches: Awaited<ReturnType<typeof findCallers>> | null } = {
    error: null,
    matches: null,
  };
  const wantsSearch = Boolean(raw.nir || raw.lastName || raw.birthDate);
  if (wantsSearch && (mine || mayRoute) && found.state !== "resolved") {
    const q = SearchQuery.safeParse(raw.nir ? { nir: raw.nir } : raw);
    if (!q.success) search = { error: q.error.issues[0]?.message ?? "Recherche invalide.", matches: null };
    else search = { error: null, matches: await findCallers(context.db, q.data, { showNir }) };
  }
  const selectedId = Number(raw.personId);
  // A caller found by the search, or the person already linked to the case (a reassigned case: the new
  // agent checks the identity again).
  const linked = found.person && !found.identityChecked ? found.person : null;
  const selected =
    search.matches?.ok && Number.isInteger(selectedId)
      ? (search.matches.matches.find((m) => m.personId === selectedId) ?? null)
      : linked
        ? {
            personId: linked.id,
            firstName: linked.firstName,
            lastName: linked.lastName,
            birthDate: linked.birthDate,
            postalCode: linked.postalCode,
          }
        : null;
  const [macros, agents, timeline] = await Promise.all([
    listMacros(context.db),
    mayRoute ? listAgents(context.db) : Promise.resolve([]),
    found.person && found.identityChecked
      ? personTimeline(context.db, found.person.id, 100)
      : Promise.resolve([]),
  ]);
  const perms: Permission[] = ["persons:oppose", "persons:write", "codes:reset"];
  return {
    case: found,
    mine,
    mayRoute,
    can: Object.fromEntries(perms.map((p) => [p, user.permissions.has(p)])) as Record<
      (typeof perms)[number],
      boolean
    >,
    search,
    selected,
    macros: macros.filter((m) => !m.caseType || m.caseType === found.type),
    agents: agents.map((a) => ({ userId: a.user_id, name: a.display_name, presence: a.presence })),
    timeline: timeline.map((e) => ({ ...e, atLabel: formatDateTime(new Date(e.at)) })),
  };
}

const on = z
  .string()
  .optional()
  .transform((v) => v === "on");

const ActionForm = z.discriminatedUnion("intent", [
  z.object({
    intent: z.literal("identity"),
    personId: z.coerce.number().int().positive(),
    checkName: on,
    checkBirthDate: on,
    checkPostalCode: on,
  }),
  z.object({
    intent: z.literal("oppose"),
    confirm: z.literal("on", { message: "Cochez la confirmation de l'appelant." }),
  }),
  z.object({
    intent: z.literal("close_space"),
    confirm: z.literal("on", { message: "Cochez la confirmation de l'appelant." }),
  }),
  z.object({
    intent: z.literal("resend"),
    channel: z.enum(["email", "letter"], { message: "Canal : e-mail ou courrier." }),
  }),
  z.object({
    intent: z.literal("reset"),
    channel: z.enum(["email", "sms", "letter"], { message: "Canal : e-mail, SMS ou courrier." }),
  }),
  z.object({
    intent: z.literal("note"),
    text: z.string().trim().min(1, "Note : texte obligatoire.").max(4000, "Note : 4 000 caractères au plus."),
    macroId: z.coerce
      .number()
      .int()
      .positive()
      .optional()
      .or(z.literal("").transform(() => undefined)),
  }),
  z.object({ intent: z.literal("state"), to: z.enum(["in_progress", "waiting_callback", "resolved"]) }),
  z.object({ intent: z.literal("type"), type: z.enum(CASE_TYPES as [CaseType, ...CaseType[]]) }),
  z.object({
    intent: z.literal("reassign"),
    to: z.string().min(1, "Choisissez un conseiller ou la file."),
    reason: z.string().trim().min(3, "Motif de la réaffectation : obligatoire.").max(500),
  }),
]);

type ActionData = { ok: boolean; message: string };

const ACTION_PERMISSION: Partial<Record<string, Permission>> = {
  oppose: "persons:oppose",
  close_space: "persons:write",
  resend: "persons:write",
  reset: "codes:reset",
  reassign: "cases:route",
};

export async function action({ request, params, context }: ActionFunctionArgs) {
  const user = await requirePermission(request, context, "cases:work");
  const caseId = Number(params.caseId);
  const parsed = ActionForm.safeParse(Object.fromEntries(await request.formData()));
  if (!parsed.success) {
    return json<ActionData>(
      { ok: false, message: parsed.error.issues[0]?.message ?? "Formulaire invalide." },
      { status: 400 },
    );
  }
  const data = parsed.data;
  const needed = ACTION_PERMISSION[data.intent];
  if (needed && !user.permissions.has(needed)) throw forbidden();
  const actor = actorOf(user, context);
  const caseActor = { userId: user.id, mayRoute: user.permissions.has("cases:route") };
  const deps = { boss: context.boss, config: context.config };
  try {
    switch (data.intent) {
      case "identity":
        await recordIdentityCheck(context.db, actor, {
          caseActor,
          caseId,
          personId: data.personId,
          answers: { name: data.checkName, birthDate: data.checkBirthDate, postalCode: data.checkPostalCode },
        });
        return json<ActionData>({
          ok: true,
          message: "Identité vérifiée : le dossier est rattaché à l'assuré.",
        });
      case "oppose": {
        const r = await recordOpposition(context.db, deps, actor, { caseActor, caseId });
        return json<ActionData>({
          ok: true,
          message: `Opposition enregistrée (espace ${STATE_LABELS[r.to as keyof typeof STATE_LABELS]}) ; confirmation envoyée par ${r.channel === "email" ? "e-mail" : "courrier"}.`,
        });
      }
      case "close_space": {
        const r = await closeSpace(context.db, deps, actor, { caseActor, caseId });
        return json<ActionData>({
          ok: true,
          message: `Espace clôturé ; confirmation envoyée par ${r.channel === "email" ? "e-mail" : "courrier"}.`,
        });
      }
      case "resend":
        await resendNotification(context.db, deps, actor, { caseActor, caseId, channel: data.channel });
        return json<ActionData>({
          ok: true,
          message: `Notification renvoyée par ${RESET_CHANNEL_LABELS[data.channel]}.`,
        });
      case "reset":
        await resetCode(context.db, deps, actor, { caseActor, caseId, channel: data.channel });
        return json<ActionData>({
          ok: true,
          message: `Nouveau code demandé par ${RESET_CHANNEL_LABELS[data.channel]} ; l'ancien est révoqué à l'émission du nouveau. Le code n'est jamais affiché ici.`,
        });
      case "note":
        await addCaseNote(context.db, actor, {
          caseActor,
          caseId,
          text: data.text,
          macroId: data.macroId ?? null,
        });
        return json<ActionData>({ ok: true, message: "Note ajoutée." });
      case "state":
        await changeCaseState(context.db, deps, actor, { caseActor, caseId, to: data.to });
        return json<ActionData>({ ok: true, message: `Dossier ${CASE_STATE_LABELS[data.to]}.` });
      case "type":
        await changeCaseType(context.db, deps, actor, { caseActor, caseId, type: data.type });
        return json<ActionData>({
          ok: true,
          message: `Motif changé : ${CASE_TYPE_LABELS[data.type]} (file et SLA recalculés).`,
        });
      case "reassign": {
        const toUserId = data.to === "queue" ? null : Number(data.to);
        if (toUserId !== null && !Number.isInteger(toUserId)) {
          return json<ActionData>({ ok: false, message: "Conseiller inconnu." }, { status: 400 });
        }
        await reassignCase(context.db, actor, { caseId, toUserId, reason: data.reason });
        return json<ActionData>({
          ok: true,
          message: toUserId === null ? "Dossier remis dans sa file." : "Dossier réaffecté.",
        });
      }
    }
  } catch (error) {
    if (error instanceof HelplineError) {
      return json<ActionData>({ ok: false, message: error.message }, { status: httpStatusOf(error) });
    }
    throw error;
  }
}

function slaBadgeClass(status: string): string {
  return status === "ok"
    ? "badge badge-success"
    : status === "at_risk"
      ? "badge badge-warning"
      : "badge badge-error";
}

const HISTORY_KIND_LABELS: Record<string, string> = {
  created: "Création",
  state: "État",
  type: "Motif",
  queue: "File",
  assignment: "Affectation",
  person: "Assuré rattaché",
  identity: "Identité vérifiée",
  action: "Action",
  note: "Note",
  sla: "SLA",
};

function describeHistory(h: {
  kind: string;
  from: string | null;
  to: string | null;
  details: Record<string, unknown>;
}): string {
  switch (h.kind) {
    case "state":
      return `${CASE_STATE_LABELS[h.from as CaseState] ?? h.from ?? "—"} → ${CASE_STATE_LABELS[h.to as CaseState] ?? h.to}`;
    case "type":
      return `${CASE_TYPE_LABELS[h.from as CaseType] ?? h.from} → ${CASE_TYPE_LABELS[h.to as CaseType] ?? h.to}`;
    case "sla":
      return `${SLA_STATUS_LABELS[h.from as keyof typeof SLA_STATUS_LABELS] ?? h.from} → ${SLA_STATUS_LABELS[h.to as keyof typeof SLA_STATUS_LABELS] ?? h.to}`;
    case "note":
      return String(h.details.text ?? "");
    case "action": {
      const labels: Record<string, string> = {
        opposition_recorded: "opposition enregistrée",
        space_closed: "espace clôturé",
        notification_resent: "notification renvoyée",
        code_reset: "réinitialisation du code demandée",
        code_reset_delivered: "nouveau code envoyé",
        code_reset_failed: "échec d'envoi du nouveau code",
      };
      const channel = h.details.channel
        ? ` (${RESET_CHANNEL_LABELS[h.details.channel as "email"] ?? h.details.channel})`
        : "";
      const confirmation = h.details.confirmation
        ? ` — confirmation par ${h.details.confirmation === "email" ? "e-mail" : "courrier"}`
        : "";
      return `${labels[String(h.details.action)] ?? String(h.details.action)}${channel}${confirmation}`;
    }
    case "assignment":
      return h.to ? "affecté à un conseiller" : "remis dans la file";
    case "created":
      return `dossier ouvert (${h.details.origin === "telephony" ? "téléphonie" : "conseiller"})`;
    default:
      return "";
  }
}

export default function CasePage() {
  const data = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const navigation = useNavigation();
  const [params] = useSearchParams();
  const busy = navigation.state !== "idle";
  const c = data.case;
  const canWork = (data.mine || data.mayRoute) && c.state !== "resolved";
  const verified = Boolean(c.person && c.identityChecked);
  // Mail channels serve persons still in their window (the waves' path); SMS whenever a mobile is known.
  const resetChannels = c.person
    ? (
        [
          ["email", c.person.hasEmail && c.person.state === "notified"],
          ["sms", c.person.hasMobile],
          ["letter", c.person.hasAddress && c.person.state === "notified"],
        ] as const
      )
        .filter(([, ok]) => ok)
        .map(([channel]) => channel)
    : [];
  const [noteText, setNoteText] = useState("");
  const [macroId, setMacroId] = useState("");
  return (
    <>
      <div className="page-header">
        <div>
          <p>
            <Link to="/helpline">← Console</Link>
          </p>
          <h1>
            Dossier n° {c.id} — {CASE_TYPE_LABELS[c.type]}
          </h1>
          <p className="muted">
            {CASE_STATE_LABELS[c.state]} · file {c.queueName} · priorité {c.priority}
            {c.department ? ` · département ${c.department}` : ""} ·{" "}
            {c.assignedName ? `affecté à ${c.assignedName}` : "non affecté"}
          </p>
        </div>
      </div>
      {result ? (
        <div className={result.ok ? "alert alert-success" : "alert alert-error"} role="alert">
          {result.message}
        </div>
      ) : null}
      {!data.mine && !data.mayRoute ? (
        <div className="alert alert-warning">Ce dossier n'est pas affecté à vous : consultation seule.</div>
      ) : null}

      <div className="helpline-cols">
        <section className="card" aria-labelledby="call-title">
          <h2 id="call-title">Appel</h2>
          <dl className="details">
            <dt>Ouvert le</dt>
            <dd>{formatDateTime(new Date(c.createdAt))}</dd>
            <dt>Origine</dt>
            <dd>
              {c.origin === "telephony"
                ? `téléphonie (choix SVI ${c.ivrChoice ?? "—"})`
                : "ouvert par un conseiller"}
            </dd>
            <dt>Numéro de l'appelant</dt>
            <dd>{c.callerNumber ?? "—"}</dd>
            {c.subject ? (
              <>
                <dt>Objet</dt>
                <dd>{c.subject}</dd>
              </>
            ) : null}
          </dl>
        </section>
        <section className="card" aria-labelledby="sla-title">
          <h2 id="sla-title">SLA</h2>
          <p>
            <span className={slaBadgeClass(c.slaStatus)}>{SLA_STATUS_LABELS[c.slaStatus]}</span>
          </p>
          {c.slaTargetMinutes ? (
            <p>
              Objectif : {formatWorkingMinutes(c.slaTargetMinutes)} ouvrés.{" "}
              {c.state === "waiting_callback"
                ? `En pause (attente de rappel) ; ${formatWorkingMinutes(c.slaConsumedMinutes)} consommés.`
                : c.slaDueAt
                  ? `Échéance : ${formatDateTime(new Date(c.slaDueAt))}${c.slaWarnAt ? ` (alerte le ${formatDateTime(new Date(c.slaWarnAt))})` : ""}.`
                  : ""}
            </p>
          ) : (
            <p className="empty">Pas de SLA pour ce motif.</p>
          )}
          <p className="hint">Heures ouvrées : lundi–vendredi 8 h 30–17 h 30, hors jours fériés.</p>
        </section>
      </div>

      <section className="card" aria-labelledby="caller-title">
        <h2 id="caller-title">Appelant</h2>
        {c.person && verified ? (
          <>
            <p>
              <span className="badge badge-success">Identité vérifiée</span>{" "}
              <strong>
                {c.person.firstName} {c.person.lastName}
              </strong>{" "}
              — NIR <span className="mono">{c.person.nirDisplay}</span> — né(e) le{" "}
              {formatShortDate(new Date(`${c.person.birthDate}T12:00:00Z`))} — {c.person.postalCode}{" "}
              {c.person.city}
            </p>
            <p>
              Espace : <strong>{STATE_LABELS[c.person.state]}</strong>
              {c.person.windowEndsAt
                ? ` · fin de la fenêtre le ${formatDateTime(new Date(c.person.windowEndsAt))}`
                : ""}
              {c.person.activeCode
                ? ` · code provisoire actif émis le ${formatShortDate(new Date(c.person.activeCode.createdAt))}, expire le ${formatShortDate(new Date(c.person.activeCode.expiresAt))}`
                : " · aucun code provisoire actif"}
            </p>
          </>
        ) : canWork ? (
          <>
            <p className="hint">
              Cherchez l'appelant par son NIR, ou par nom + date de naissance (+ code postal). Avant toute
              action, demandez et cochez nom, date de naissance et code postal.
            </p>
            <div className="helpline-cols">
              <Form method="get" className="stack" aria-labelledby="by-nir">
                <h3 id="by-nir">Par NIR</h3>
                <div className="field">
                  <label htmlFor="nir">NIR (15 caractères)</label>
                  <input
                    id="nir"
                    name="nir"
                    type="text"
                    inputMode="numeric"
                    autoComplete="off"
                    defaultValue={params.get("nir") ?? ""}
                  />
                </div>
                <div>
                  <button type="submit" className="button button-secondary">
                    Chercher par NIR
                  </button>
                </div>
              </Form>
              <Form method="get" className="stack" aria-labelledby="by-name">
                <h3 id="by-name">Par nom et date de naissance</h3>
                <div className="field">
                  <label htmlFor="lastName">Nom de famille</label>
                  <input
                    id="lastName"
                    name="lastName"
                    type="text"
                    autoComplete="off"
                    defaultValue={params.get("lastName") ?? ""}
                  />
                </div>
                <div className="field">
                  <label htmlFor="birthDate">Date de naissance</label>
                  <input
                    id="birthDate"
                    name="birthDate"
                    type="date"
                    defaultValue={params.get("birthDate") ?? ""}
                  />
                </div>
                <div className="field">
                  <label htmlFor="postalCode">Code postal (facultatif)</label>
                  <input
                    id="postalCode"
                    name="postalCode"
                    type="text"
                    inputMode="numeric"
                    maxLength={5}
                    defaultValue={params.get("postalCode") ?? ""}
                  />
                </div>
                <div>
                  <button type="submit" className="button button-secondary">
                    Chercher
                  </button>
                </div>
              </Form>
            </div>
            {data.search.error ? (
              <p className="field-error" role="alert">
                {data.search.error}
              </p>
            ) : null}
            {data.search.matches && !data.search.matches.ok ? (
              <p className="field-error" role="alert">
                {data.search.matches.message}
              </p>
            ) : null}
            {data.search.matches?.ok ? (
              data.search.matches.matches.length === 0 ? (
                <p className="empty">
                  Aucun assuré ne correspond : vérifiez l'orthographe ou cherchez par NIR.
                </p>
              ) : (
                <div className="table-wrap">
                  <table className="table">
                    <caption>Assurés correspondants ({data.search.matches.matches.length})</caption>
                    <thead>
                      <tr>
                        <th scope="col">Nom</th>
                        <th scope="col">NIR</th>
                        <th scope="col">Naissance</th>
                        <th scope="col">Code postal</th>
                        <th scope="col">Espace</th>
                        <th scope="col">
                          <span className="sr-only">Action</span>
                        </th>
                      </tr>
                    </thead>
                    <tbody>
                      {data.search.matches.matches.map((m) => {
                        const next = new URLSearchParams(params);
                        next.set("personId", String(m.personId));
                        return (
                          <tr key={m.personId}>
                            <td>
                              {m.firstName} {m.lastName}
                            </td>
                            <td className="mono">{m.nirDisplay}</td>
                            <td>{formatShortDate(new Date(`${m.birthDate}T12:00:00Z`))}</td>
                            <td>{m.postalCode ?? "—"}</td>
                            <td>{STATE_LABELS[m.state]}</td>
                            <td>
                              <Link to={`?${next.toString()}`}>Vérifier l'identité</Link>
                            </td>
                          </tr>
                        );
                      })}
                    </tbody>
                  </table>
                </div>
              )
            ) : null}
            {data.selected ? (
              <Form method="post" className="card stack" aria-labelledby="identity-title">
                <h3 id="identity-title">
                  Vérification d'identité : {data.selected.firstName} {data.selected.lastName}
                </h3>
                <CsrfInput />
                <input type="hidden" name="intent" value="identity" />
                <input type="hidden" name="personId" value={data.selected.personId} />
                <p className="hint">
                  Demandez chaque information à l'appelant sans la lui lire, puis cochez si elle correspond.
                </p>
                <div className="checkbox">
                  <input type="checkbox" id="checkName" name="checkName" />
                  <label htmlFor="checkName">
                    Nom et prénom donnés par l'appelant : {data.selected.firstName} {data.selected.lastName}
                  </label>
                </div>
                <div className="checkbox">
                  <input type="checkbox" id="checkBirthDate" name="checkBirthDate" />
                  <label htmlFor="checkBirthDate">
                    Date de naissance : {formatShortDate(new Date(`${data.selected.birthDate}T12:00:00Z`))}
                  </label>
                </div>
                <div className="checkbox">
                  <input type="checkbox" id="checkPostalCode" name="checkPostalCode" />
                  <label htmlFor="checkPostalCode">
                    Code postal : {data.selected.postalCode ?? "non renseigné"}
                  </label>
                </div>
                <div>
                  <button type="submit" className="button" disabled={busy}>
                    Confirmer l'identité
                  </button>
                </div>
              </Form>
            ) : null}
          </>
        ) : (
          <p className="empty">Appelant non identifié.</p>
        )}
      </section>

      {canWork && verified && c.person ? (
        <section className="card" aria-labelledby="actions-title">
          <h2 id="actions-title">Actions sur l'espace de l'assuré</h2>
          <div className="helpline-cols">
            {data.can["persons:oppose"] &&
            ["pending", "notified", "auto_created"].includes(c.person.state) ? (
              <Form method="post" className="stack" aria-labelledby="oppose-title">
                <h3 id="oppose-title">Opposition</h3>
                <CsrfInput />
                <input type="hidden" name="intent" value="oppose" />
                <div className="checkbox">
                  <input type="checkbox" id="confirm-oppose" name="confirm" required />
                  <label htmlFor="confirm-oppose">
                    L'appelant confirme s'opposer à la création de son espace
                  </label>
                </div>
                <div>
                  <button type="submit" className="button button-danger" disabled={busy}>
                    Enregistrer l'opposition
                  </button>
                </div>
                <p className="hint">
                  Effective immédiatement ; une confirmation part par e-mail ou courrier.
                </p>
              </Form>
            ) : null}
            {data.can["codes:reset"] && ["notified", "opposed", "auto_created"].includes(c.person.state) ? (
              <Form method="post" className="stack" aria-labelledby="reset-title">
                <h3 id="reset-title">Nouveau code provisoire</h3>
                <CsrfInput />
                <input type="hidden" name="intent" value="reset" />
                {resetChannels.length > 0 ? (
                  <>
                    <div className="field">
                      <label htmlFor="reset-channel">Envoyer par</label>
                      <select
                        id="reset-channel"
                        name="channel"
                        key={c.person.state}
                        defaultValue={resetChannels[0] ?? ""}
                      >
                        <option value="email" disabled={!resetChannels.includes("email")}>
                          e-mail{c.person.hasEmail ? "" : " (aucune adresse valide)"}
                        </option>
                        <option value="sms" disabled={!resetChannels.includes("sms")}>
                          SMS{c.person.hasMobile ? "" : " (aucun mobile)"}
                        </option>
                        <option value="letter" disabled={!resetChannels.includes("letter")}>
                          courrier
                        </option>
                      </select>
                    </div>
                    <div>
                      <button
                        type="submit"
                        className="button"
                        disabled={busy || c.person.resetsLeft === 0 || resetChannels.length === 0}
                      >
                        Réinitialiser le code
                      </button>
                    </div>
                  </>
                ) : null}
                {resetChannels.length === 0 ? (
                  <p className="field-error">
                    Aucun canal possible pour un nouveau code : e-mail et courrier seulement tant que l'assuré
                    est notifié, SMS seulement avec un numéro de mobile connu.
                  </p>
                ) : null}
                <p className="hint">
                  Révoque l'ancien code. Le nouveau n'est jamais affiché. Encore {c.person.resetsLeft}{" "}
                  réinitialisation(s) possible(s) sur 24 h.
                </p>
              </Form>
            ) : null}
            {data.can["persons:write"] && ["pending", "notified"].includes(c.person.state) ? (
              <Form method="post" className="stack" aria-labelledby="resend-title">
                <h3 id="resend-title">Renvoyer la notification</h3>
                <CsrfInput />
                <input type="hidden" name="intent" value="resend" />
                <div className="field">
                  <label htmlFor="resend-channel">Canal</label>
                  <select
                    id="resend-channel"
                    name="channel"
                    defaultValue={c.person.hasEmail ? "email" : "letter"}
                  >
                    <option value="email" disabled={!c.person.hasEmail}>
                      e-mail
                    </option>
                    <option value="letter" disabled={!c.person.hasAddress}>
                      courrier
                    </option>
                  </select>
                </div>
                <div>
                  <button type="submit" className="button button-secondary" disabled={busy}>
                    Renvoyer
                  </button>
                </div>
              </Form>
            ) : null}
            {data.can["persons:write"] && ["activated", "auto_created"].includes(c.person.state) ? (
              <Form method="post" className="stack" aria-labelledby="close-title">
                <h3 id="close-title">Clôturer l'espace</h3>
                <CsrfInput />
                <input type="hidden" name="intent" value="close_space" />
                <div className="checkbox">
                  <input type="checkbox" id="confirm-close" name="confirm" required />
                  <label htmlFor="confirm-close">L'appelant confirme la clôture de son espace</label>
                </div>
                <div>
                  <button type="submit" className="button button-danger" disabled={busy}>
                    Clôturer l'espace
                  </button>
                </div>
              </Form>
            ) : null}
          </div>
        </section>
      ) : null}

      {canWork ? (
        <section className="card" aria-labelledby="work-title">
          <h2 id="work-title">Suivi du dossier</h2>
          <div className="helpline-cols">
            <Form method="post" className="stack" aria-labelledby="note-title">
              <h3 id="note-title">Note</h3>
              <CsrfInput />
              <input type="hidden" name="intent" value="note" />
              <input type="hidden" name="macroId" value={macroId} />
              {data.macros.length > 0 ? (
                <div className="field">
                  <label htmlFor="macro">Réponse type</label>
                  <select
                    id="macro"
                    value={macroId}
                    onChange={(e) => {
                      setMacroId(e.target.value);
                      const m = data.macros.find((x) => String(x.id) === e.target.value);
                      if (m) setNoteText(m.body);
                    }}
                  >
                    <option value="">— choisir —</option>
                    {data.macros.map((m) => (
                      <option key={m.id} value={m.id}>
                        {m.title}
                      </option>
                    ))}
                  </select>
                </div>
              ) : null}
              <div className="field">
                <label htmlFor="note-text">Texte de la note</label>
                <textarea
                  id="note-text"
                  name="text"
                  rows={4}
                  value={noteText}
                  onChange={(e) => setNoteText(e.target.value)}
                />
              </div>
              <div>
                <button type="submit" className="button button-secondary" disabled={busy}>
                  Ajouter la note
                </button>
              </div>
            </Form>
            <div className="stack">
              <h3>État</h3>
              <div className="toolbar">
                {MANUAL_STATE_CHANGES[c.state].map((to) => (
                  <Form method="post" key={to}>
                    <CsrfInput />
                    <input type="hidden" name="intent" value="state" />
                    <input type="hidden" name="to" value={to} />
                    <button
                      type="submit"
                      className={to === "resolved" ? "button" : "button button-secondary"}
                      disabled={busy}
                    >
                      {to === "resolved"
                        ? "Clore le dossier (résolu)"
                        : to === "waiting_callback"
                          ? "Attente de rappel (SLA en pause)"
                          : "Reprendre"}
                    </button>
                  </Form>
                ))}
              </div>
              <Form method="post" className="toolbar">
                <CsrfInput />
                <input type="hidden" name="intent" value="type" />
                <div className="field">
                  <label htmlFor="case-type">Motif</label>
                  <select id="case-type" name="type" defaultValue={c.type}>
                    {CASE_TYPES.map((t) => (
                      <option key={t} value={t}>
                        {CASE_TYPE_LABELS[t]}
                      </option>
                    ))}
                  </select>
                </div>
                <button type="submit" className="button button-secondary button-small" disabled={busy}>
                  Changer le motif
                </button>
              </Form>
            </div>
          </div>
        </section>
      ) : null}

      {data.mayRoute && c.state !== "resolved" ? (
        <section className="card" aria-labelledby="reassign-title">
          <h2 id="reassign-title">Réaffecter (superviseur)</h2>
          <Form method="post" className="toolbar">
            <CsrfInput />
            <input type="hidden" name="intent" value="reassign" />
            <div className="field">
              <label htmlFor="reassign-to">Vers</label>
              <select id="reassign-to" name="to" defaultValue="">
                <option value="" disabled>
                  — choisir —
                </option>
                <option value="queue">Remettre dans la file</option>
                {data.agents.map((a) => (
                  <option key={a.userId} value={a.userId}>
                    {a.name} (
                    {a.presence === "available" ? "disponible" : a.presence === "busy" ? "occupé" : "absent"})
                  </option>
                ))}
              </select>
            </div>
            <div className="field">
              <label htmlFor="reassign-reason">Motif</label>
              <input id="reassign-reason" name="reason" type="text" maxLength={500} />
            </div>
            <button type="submit" className="button button-secondary" disabled={busy}>
              Réaffecter
            </button>
          </Form>
        </section>
      ) : null}

      {verified ? (
        <PersonTimeline entries={data.timeline} title="Historique de l'assuré (toutes sources)" />
      ) : null}

      <div className="helpline-cols">
        <section aria-labelledby="history-title">
          <h2 id="history-title">Historique du dossier</h2>
          <ul className="helpline-history">
            {c.history.map((h) => (
              <li key={h.id}>
                <span className="muted">{formatDateTime(new Date(h.at))}</span> —{" "}
                <strong>{HISTORY_KIND_LABELS[h.kind] ?? h.kind}</strong> {describeHistory(h)}
                {h.actor ? <span className="muted"> ({h.actor})</span> : null}
              </li>
            ))}
          </ul>
        </section>
        <section aria-labelledby="decisions-title">
          <h2 id="decisions-title">Décisions de routage</h2>
          {c.decisions.length === 0 ? (
            <p className="empty">Aucune décision.</p>
          ) : (
            <ul className="helpline-history">
              {c.decisions.map((d) => (
                <li key={d.id}>
                  <span className="muted">{formatDateTime(new Date(d.at))}</span> —{" "}
                  {d.agent ? `${d.agent} : ` : ""}
                  {d.reason}
                </li>
              ))}
            </ul>
          )}
        </section>
      </div>
    </>
  );
}
