import {
  type ActionFunctionArgs,
  type AppLoadContext,
  json,
  type LoaderFunctionArgs,
  type MetaFunction,
  redirect,
} from "@remix-run/node";
import { Link, useActionData, useLoaderData, useNavigation } from "@remix-run/react";
import { z } from "zod";
import { ActionResult } from "~/components/action-result";
import { CallerPanel } from "~/components/helpline/caller-panel";
import type { CallerSearchState } from "~/components/helpline/caller-search";
import { CaseFollowUp } from "~/components/helpline/case-follow-up";
import { CaseHistory } from "~/components/helpline/case-history";
import { CaseOverview } from "~/components/helpline/case-overview";
import { PersonActionsPanel } from "~/components/helpline/person-actions-panel";
import { ReassignForm } from "~/components/helpline/reassign-form";
import { PersonTimeline } from "~/components/person-timeline";
import { actorOf, forbidden, requirePermission } from "~/domain/auth/guards.server";
import type { CurrentUser, Permission } from "~/domain/auth/permissions";
import { DomainError } from "~/domain/domain-error";
import { searchCallers, viewCaller } from "~/domain/helpline/callers.server";
import { CASE_STATE_LABELS, CASE_TYPE_LABELS, CASE_TYPES, type CaseType } from "~/domain/helpline/case";
import {
  type CaseCommand,
  performCaseAction,
  personActionsOffered,
} from "~/domain/helpline/case-actions.server";
import { listAgents, loadCase } from "~/domain/helpline/case-queries.server";
import { listMacros } from "~/domain/helpline/setup.server";
import { formatDateTime, isCalendarDate } from "~/domain/lifecycle/paris-time";
import { personTimeline } from "~/domain/persons/persons.server";
import { refusal } from "~/http/domain-error";
import { recordId } from "~/http/params";

export const meta: MetaFunction<typeof loader> = ({ data }) => [
  { title: `${data ? `Dossier n° ${data.case.id}` : "Dossier"} — 34 22 — mes-ops` },
];

const SearchForm = z.discriminatedUnion("by", [
  z.object({ by: z.literal("nir"), nir: z.string().trim().min(1, "NIR : obligatoire.") }),
  z.object({
    by: z.literal("name"),
    lastName: z.string().trim().min(1, "Nom : obligatoire."),
    birthDate: z.string().refine(isCalendarDate, "Date de naissance : JJ/MM/AAAA attendue."),
    postalCode: z
      .string()
      .trim()
      .regex(/^(\d{5})?$/, "Code postal : 5 chiffres.")
      .optional(),
  }),
]);

/**
 * The caller search is posted (the NIR never goes in a URL, nor in the history) and answered by the
 * action; the person picked from its results comes back as `?personId=`, an internal id.
 */
export async function loader({ request, params, context }: LoaderFunctionArgs) {
  const user = await requirePermission(request, context, "cases:work");
  const caseId = Number(params.caseId);
  if (!Number.isSafeInteger(caseId) || caseId <= 0)
    throw new Response("Dossier introuvable.", { status: 404 });
  const url = new URL(request.url);
  if (url.searchParams.has("nir")) {
    // An old link or bookmark: drop the NIR from the address.
    url.searchParams.delete("nir");
    throw redirect(`${url.pathname}${url.search}`);
  }
  const mayRoute = user.permissions.has("cases:route");
  const found = await loadCase(context.db, caseId, {
    userId: user.id,
    mayRoute,
    showNir: user.permissions.has("persons:read_nir"),
  });
  // Another queue's case answers as one that does not exist: its id tells nothing.
  if (!found)
    throw new Response(`Le dossier n° ${caseId} n'existe pas ou n'est pas dans vos files.`, { status: 404 });
  const mine = found.assignedUserId === user.id;
  const canWork = (mine || mayRoute) && found.state !== "resolved";
  const actor = actorOf(user, context);
  const verified = Boolean(found.person && found.identityChecked);
  const selectedId = Number(url.searchParams.get("personId"));
  // The caller picked from the search, or the person already linked to the case (a reassigned case: the
  // new agent checks the identity again). Each person shown is audited.
  const candidateId =
    !canWork || verified
      ? null
      : Number.isSafeInteger(selectedId) && selectedId > 0
        ? selectedId
        : (found.person?.id ?? null);
  const selected = candidateId
    ? await viewCaller(context.db, actor, { caseId, personId: candidateId, stage: "identity_check" })
    : null;
  if (verified && found.person)
    await viewCaller(context.db, actor, { caseId, personId: found.person.id, stage: "verified" });
  const [macros, agents, timeline] = await Promise.all([
    listMacros(context.db),
    mayRoute ? listAgents(context.db) : Promise.resolve([]),
    found.person && found.identityChecked
      ? personTimeline(context.db, found.person.id, 100)
      : Promise.resolve([]),
  ]);
  return {
    case: found,
    mine,
    mayRoute,
    canWork,
    offered: found.person
      ? personActionsOffered(found.person, {
          oppose: user.permissions.has("persons:oppose"),
          write: user.permissions.has("persons:write"),
          resetCode: user.permissions.has("codes:reset"),
        })
      : null,
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
    personId: recordId("Assuré : choisissez une personne dans les résultats."),
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
type SearchData = { search: CallerSearchState };

/** The form's fields as the domain's command; null when the reassignment target is not an agent id. */
function commandOf(data: z.infer<typeof ActionForm>): CaseCommand | null {
  switch (data.intent) {
    case "identity":
      return {
        intent: "identity",
        personId: data.personId,
        answers: { name: data.checkName, birthDate: data.checkBirthDate, postalCode: data.checkPostalCode },
      };
    case "note":
      return { intent: "note", text: data.text, macroId: data.macroId ?? null };
    case "reassign": {
      const toUserId = data.to === "queue" ? null : Number(data.to);
      if (toUserId !== null && !Number.isSafeInteger(toUserId)) return null;
      return { intent: "reassign", toUserId, reason: data.reason };
    }
    case "oppose":
    case "close_space":
      return { intent: data.intent };
    default:
      return data;
  }
}

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
  const fields = Object.fromEntries(await request.formData());
  if (fields.intent === "search") return searchAction(fields, { user, caseId, context });
  const parsed = ActionForm.safeParse(fields);
  if (!parsed.success) {
    return json<ActionData>(
      { ok: false, message: parsed.error.issues[0]?.message ?? "Formulaire invalide." },
      { status: 400 },
    );
  }
  const data = parsed.data;
  const needed = ACTION_PERMISSION[data.intent];
  if (needed && !user.permissions.has(needed)) throw forbidden();
  const command = commandOf(data);
  if (!command) return json<ActionData>({ ok: false, message: "Conseiller inconnu." }, { status: 400 });
  const actor = actorOf(user, context);
  const caseActor = { userId: user.id, mayRoute: user.permissions.has("cases:route") };
  const deps = { boss: context.boss, config: context.config };
  try {
    const message = await performCaseAction(context.db, deps, actor, { caseActor, caseId, command });
    return json<ActionData>({ ok: true, message });
  } catch (error) {
    if (error instanceof DomainError) return refusal(error);
    throw error;
  }
}

/** The caller search: run on the case (audited), answered in the page, never redirected to a URL with the NIR. */
async function searchAction(
  fields: Record<string, FormDataEntryValue>,
  { user, caseId, context }: { user: CurrentUser; caseId: number; context: AppLoadContext },
) {
  const text = (key: string) => (typeof fields[key] === "string" ? (fields[key] as string) : "");
  const values = {
    nir: text("nir"),
    lastName: text("lastName"),
    birthDate: text("birthDate"),
    postalCode: text("postalCode"),
  };
  const q = SearchForm.safeParse({ ...values, by: text("by") });
  if (!q.success)
    return json<SearchData>(
      { search: { values, error: q.error.issues[0]?.message ?? "Recherche invalide.", matches: null } },
      { status: 400 },
    );
  const query =
    q.data.by === "nir"
      ? { nir: q.data.nir }
      : { lastName: q.data.lastName, birthDate: q.data.birthDate, postalCode: q.data.postalCode || null };
  try {
    const matches = await searchCallers(context.db, actorOf(user, context), {
      caseActor: { userId: user.id, mayRoute: user.permissions.has("cases:route") },
      caseId,
      query,
      showNir: user.permissions.has("persons:read_nir"),
    });
    return json<SearchData>({ search: { values, error: null, matches } });
  } catch (error) {
    if (error instanceof DomainError)
      return refusal<SearchData>(error, { search: { values, error: error.message, matches: null } });
    throw error;
  }
}

export default function CasePage() {
  const data = useLoaderData<typeof loader>();
  const posted = useActionData<typeof action>();
  const result = posted && "message" in posted ? posted : null;
  const search = posted && "search" in posted ? posted.search : null;
  const navigation = useNavigation();
  const busy = navigation.state !== "idle";
  const c = data.case;
  const verified = Boolean(c.person && c.identityChecked);
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
      <ActionResult result={result} />
      {!data.mine && !data.mayRoute ? (
        <div className="alert alert-warning">
          Ce dossier n'est pas affecté à vous : consultation seule
          {c.access === "outline" ? ", sans les données de l'appelant" : ""}.
        </div>
      ) : null}

      <CaseOverview case={c} />

      <CallerPanel
        person={c.person}
        verified={verified}
        canWork={data.canWork}
        search={search}
        selected={data.selected}
        busy={busy}
      />

      {data.canWork && verified && c.person && data.offered ? (
        <PersonActionsPanel person={c.person} offered={data.offered} busy={busy} />
      ) : null}

      {data.canWork ? <CaseFollowUp state={c.state} type={c.type} macros={data.macros} busy={busy} /> : null}

      {data.mayRoute && c.state !== "resolved" ? <ReassignForm agents={data.agents} busy={busy} /> : null}

      {verified ? (
        <PersonTimeline entries={data.timeline} title="Historique de l'assuré (toutes sources)" />
      ) : null}

      <CaseHistory history={c.history} decisions={c.decisions} />
    </>
  );
}
