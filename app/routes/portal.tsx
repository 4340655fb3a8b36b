import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { Form, useActionData, useNavigation } from "@remix-run/react";
import { z } from "zod";
import { actOnPortal, askNewCode, type DemoPortalOutcome } from "~/domain/portal/client.server";

export const meta: MetaFunction = () => [{ title: "Portail de démonstration — Mon espace santé" }];

/**
 * A stand-in for the patient portal, in demo mode only: no staff login; the action posts REAL signed
 * requests to /api/portal/* over HTTP, exactly as the portal would.
 */
function requireDemo(demoMode: boolean) {
  if (!demoMode) throw new Response("Page introuvable.", { status: 404 });
}

export async function loader({ context }: LoaderFunctionArgs) {
  requireDemo(context.config.demoMode);
  return null;
}

const DemoForm = z.object({
  nir: z.string().trim().min(1, "Saisissez votre numéro de sécurité sociale."),
  code: z.string().trim().min(1, "Saisissez le code provisoire reçu par courrier ou par e-mail."),
  type: z.enum(["activation", "opposition"]),
});

const ResetForm = z.object({
  nir: z.string().trim().min(1, "Saisissez votre numéro de sécurité sociale."),
  birthDate: z
    .string()
    .trim()
    .regex(/^\d{4}-\d{2}-\d{2}$/, "Saisissez votre date de naissance (jj/mm/aaaa)."),
  channel: z.enum(["sms", "email"], { message: "Choisissez de recevoir le code par SMS ou par e-mail." }),
});

/** The API's fields, as named by this form. */
const RESET_FIELD: Record<string, string> = { nir: "nir", birth_date: "birthDate", channel: "channel" };

/** Said whatever the portal found: the answer never tells whether the person exists. */
const RESET_ACCEPTED =
  "Demande enregistrée. Si ces informations correspondent à un assuré et qu'un numéro de mobile ou une adresse e-mail est connu, un nouveau code provisoire vient d'y être envoyé ; il remplace le précédent. Au plus 3 nouveaux codes par 24 heures.";

type ActionData =
  | { kind: "errors"; errors: Record<string, string>; nir: string }
  | { kind: "outcome"; ok: boolean; message: string; nir: string }
  | { kind: "reset-errors"; errors: Record<string, string>; nir: string; birthDate: string }
  | { kind: "reset-outcome"; ok: boolean; message: string; nir: string };

function fieldErrors(issues: z.ZodIssue[]): Record<string, string> {
  const errors: Record<string, string> = {};
  for (const issue of issues) errors[String(issue.path[0])] ??= issue.message;
  return errors;
}

async function askReset(request: Request, form: FormData, secret: string): Promise<ActionData> {
  const raw = {
    nir: String(form.get("nir") ?? ""),
    birthDate: String(form.get("birthDate") ?? ""),
    channel: form.get("channel") ?? undefined,
  };
  const parsed = ResetForm.safeParse(raw);
  if (!parsed.success) {
    return {
      kind: "reset-errors",
      errors: fieldErrors(parsed.error.issues),
      nir: raw.nir,
      birthDate: raw.birthDate,
    };
  }
  const outcome = await askNewCode({ baseUrl: new URL(request.url).origin, secret }, parsed.data);
  switch (outcome.kind) {
    case "accepted":
      return { kind: "reset-outcome", ok: true, message: RESET_ACCEPTED, nir: parsed.data.nir };
    case "invalid":
      return {
        kind: "reset-errors",
        errors: { [RESET_FIELD[outcome.field] ?? "nir"]: outcome.reason },
        nir: parsed.data.nir,
        birthDate: parsed.data.birthDate,
      };
    case "error":
      return {
        kind: "reset-outcome",
        ok: false,
        message: `Le service est momentanément indisponible (${outcome.status}).`,
        nir: parsed.data.nir,
      };
  }
}

function describe(
  outcome: DemoPortalOutcome,
  type: "activation" | "opposition",
): { ok: boolean; message: string } {
  switch (outcome.kind) {
    case "bad_nir":
      return { ok: false, message: "Numéro de sécurité sociale invalide : vérifiez les 15 chiffres." };
    case "locked":
      return { ok: false, message: "Trop d'essais : réessayez dans 15 minutes ou appelez le 34 22." };
    case "code":
      return {
        ok: false,
        message: {
          invalid: "Code provisoire incorrect.",
          expired: "Ce code provisoire a expiré : appelez le 34 22 pour en recevoir un nouveau.",
          revoked: "Ce code a été remplacé par un code plus récent : utilisez le dernier reçu.",
          already_used: "Ce code a déjà été utilisé.",
        }[outcome.result],
      };
    case "event":
      if (outcome.result.status === "applied") {
        return {
          ok: true,
          message:
            type === "activation"
              ? "Votre espace Mon espace santé est activé."
              : "Votre opposition à la création de Mon espace santé est enregistrée.",
        };
      }
      return { ok: false, message: `Demande refusée : ${outcome.result.reason ?? "action impossible"}.` };
    case "error":
      return { ok: false, message: `Le service est momentanément indisponible (${outcome.status}).` };
  }
}

export async function action({ request, context }: ActionFunctionArgs): Promise<ActionData> {
  requireDemo(context.config.demoMode);
  const form = await request.formData();
  if (form.get("intent") === "code-reset") {
    return askReset(request, form, context.config.secrets.portalWebhook);
  }
  const raw = {
    nir: String(form.get("nir") ?? ""),
    code: String(form.get("code") ?? ""),
    type: form.get("type"),
  };
  const parsed = DemoForm.safeParse(raw);
  if (!parsed.success) return { kind: "errors", errors: fieldErrors(parsed.error.issues), nir: raw.nir };
  const origin = new URL(request.url).origin;
  const outcome = await actOnPortal(
    { baseUrl: origin, secret: context.config.secrets.portalWebhook },
    parsed.data,
  );
  return { kind: "outcome", ...describe(outcome, parsed.data.type), nir: parsed.data.nir };
}

export default function DemoPortal() {
  const data = useActionData<typeof action>();
  const busy = useNavigation().state === "submitting";
  const errors = data?.kind === "errors" ? data.errors : {};
  const resetErrors = data?.kind === "reset-errors" ? data.errors : {};
  const resetNir = data?.kind === "reset-errors" || data?.kind === "reset-outcome" ? data.nir : undefined;
  return (
    <div className="portal-page">
      <h1>Mon espace santé — portail de démonstration</h1>
      <p className="muted">
        Cette page simule le portail des assurés : elle envoie de vraies requêtes signées à l'API du portail.
      </p>
      {data?.kind === "outcome" ? (
        <div
          className={data.ok ? "alert alert-success" : "alert alert-error"}
          role={data.ok ? "status" : "alert"}
        >
          {data.message}
        </div>
      ) : null}
      <Form method="post" className="card stack" noValidate>
        <div className="field">
          <label htmlFor="nir">Numéro de sécurité sociale</label>
          <input
            id="nir"
            name="nir"
            inputMode="numeric"
            autoComplete="off"
            defaultValue={data?.kind === "errors" || data?.kind === "outcome" ? data.nir : ""}
            aria-invalid={Boolean(errors.nir)}
            aria-describedby="nir-hint"
          />
          <p className="hint" id="nir-hint">
            15 caractères, tel qu'il figure sur votre carte Vitale.
          </p>
          {errors.nir ? <p className="field-error">{errors.nir}</p> : null}
        </div>
        <div className="field">
          <label htmlFor="code">Code provisoire</label>
          <input
            id="code"
            name="code"
            autoComplete="off"
            aria-invalid={Boolean(errors.code)}
            aria-describedby="code-hint"
          />
          <p className="hint" id="code-hint">
            Le code reçu par courrier ou par e-mail, par exemple ABCD-EFGH-JKMNP.
          </p>
          {errors.code ? <p className="field-error">{errors.code}</p> : null}
        </div>
        <div className="toolbar">
          <button type="submit" name="type" value="activation" className="button" disabled={busy}>
            Activer mon espace
          </button>
          <button
            type="submit"
            name="type"
            value="opposition"
            className="button button-secondary"
            disabled={busy}
          >
            M'opposer à sa création
          </button>
        </div>
        {errors.type ? <p className="field-error">Choisissez activer ou s'opposer.</p> : null}
      </Form>
      <h2>Recevoir un nouveau code</h2>
      <p className="muted">
        Code perdu ou expiré ? Un nouveau code provisoire est envoyé au numéro de mobile ou à l'adresse e-mail
        déjà connus de l'Assurance Maladie ; l'ancien code ne fonctionnera plus.
      </p>
      {data?.kind === "reset-outcome" ? (
        <div
          className={data.ok ? "alert alert-success" : "alert alert-error"}
          role={data.ok ? "status" : "alert"}
        >
          {data.message}
        </div>
      ) : null}
      <Form method="post" className="card stack" noValidate aria-label="Recevoir un nouveau code">
        <input type="hidden" name="intent" value="code-reset" />
        <div className="field">
          <label htmlFor="reset-nir">N° de sécurité sociale</label>
          <input
            id="reset-nir"
            name="nir"
            inputMode="numeric"
            autoComplete="off"
            defaultValue={resetNir ?? ""}
            aria-invalid={Boolean(resetErrors.nir)}
          />
          {resetErrors.nir ? <p className="field-error">{resetErrors.nir}</p> : null}
        </div>
        <div className="field">
          <label htmlFor="reset-birth">Date de naissance</label>
          <input
            id="reset-birth"
            name="birthDate"
            type="date"
            defaultValue={data?.kind === "reset-errors" ? data.birthDate : ""}
            aria-invalid={Boolean(resetErrors.birthDate)}
          />
          {resetErrors.birthDate ? <p className="field-error">{resetErrors.birthDate}</p> : null}
        </div>
        <fieldset>
          <legend>Recevoir le code par</legend>
          <div className="field">
            <label>
              <input type="radio" name="channel" value="sms" defaultChecked /> SMS (mobile connu)
            </label>
            <label>
              <input type="radio" name="channel" value="email" /> e-mail (adresse connue)
            </label>
            {resetErrors.channel ? <p className="field-error">{resetErrors.channel}</p> : null}
          </div>
        </fieldset>
        <div className="toolbar">
          <button type="submit" className="button" disabled={busy}>
            Recevoir un nouveau code
          </button>
        </div>
      </Form>
    </div>
  );
}
