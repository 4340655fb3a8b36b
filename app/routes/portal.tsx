import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { Form, useActionData, useNavigation } from "@remix-run/react";
import { z } from "zod";
import { actOnPortal, type DemoPortalOutcome } from "~/domain/portal/client.server";

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

type ActionData =
  | { kind: "errors"; errors: Record<string, string>; nir: string }
  | { kind: "outcome"; ok: boolean; message: string; nir: string };

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
  const raw = {
    nir: String(form.get("nir") ?? ""),
    code: String(form.get("code") ?? ""),
    type: form.get("type"),
  };
  const parsed = DemoForm.safeParse(raw);
  if (!parsed.success) {
    const errors: Record<string, string> = {};
    for (const issue of parsed.error.issues) errors[String(issue.path[0])] ??= issue.message;
    return { kind: "errors", errors, nir: raw.nir };
  }
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
            defaultValue={data?.nir ?? ""}
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
    </div>
  );
}
