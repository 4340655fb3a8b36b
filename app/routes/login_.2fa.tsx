import {
  type ActionFunctionArgs,
  json,
  type LoaderFunctionArgs,
  type MetaFunction,
  redirect,
} from "@remix-run/node";
import { Form, Link, useActionData, useNavigation, useSearchParams } from "@remix-run/react";
import { z } from "zod";
import { CsrfInput } from "~/components/csrf";
import { actorOf, requireUser } from "~/domain/auth/guards.server";
import { safeRedirect } from "~/domain/auth/safe-redirect";
import { sessionCookie } from "~/domain/auth/session.server";
import { verifySecondFactor } from "~/domain/auth/two-factor.server";

/** /login/2fa: the second step of a login for an account with a second factor (TOTP or a recovery code). */
export const meta: MetaFunction = () => [{ title: "Double authentification — mes-ops" }];

export async function loader({ request, context }: LoaderFunctionArgs) {
  const user = await requireUser(request, context);
  if (!user.twoFactorEnabled || user.secondFactorDone) {
    return redirect(safeRedirect(new URL(request.url).searchParams.get("redirectTo")));
  }
  return null;
}

const SecondFactorForm = z.object({
  code: z
    .string()
    .trim()
    .min(1, "Saisissez le code à 6 chiffres de votre application, ou un code de secours.")
    .max(40, "Ce code est trop long : saisissez 6 chiffres ou un code de secours (XXXX-XXXX-XXXX)."),
  redirectTo: z.string().optional(),
});

type ActionData = { error: string; ended?: boolean };

export async function action({ request, context }: ActionFunctionArgs) {
  const user = await requireUser(request, context);
  if (!user.twoFactorEnabled || user.secondFactorDone) return redirect("/");
  const parsed = SecondFactorForm.safeParse(Object.fromEntries(await request.formData()));
  if (!parsed.success)
    return { error: parsed.error.issues[0]?.message ?? "Code invalide." } satisfies ActionData;
  const result = await verifySecondFactor(
    context.db,
    { masterSecret: context.config.secrets.session },
    actorOf(user, context),
    {
      userId: user.id,
      sessionId: user.sessionId,
      code: parsed.data.code,
    },
  );
  switch (result.kind) {
    case "ok":
      return redirect(safeRedirect(parsed.data.redirectTo));
    case "invalid":
      return {
        error: `Code incorrect ou déjà utilisé. Il vous reste ${result.attemptsLeft} essai${result.attemptsLeft > 1 ? "s" : ""}.`,
      } satisfies ActionData;
    case "session_revoked":
    case "account_locked": {
      const message =
        result.kind === "account_locked"
          ? `Trop de codes incorrects : la connexion à ce compte est suspendue pendant ${result.minutes} minutes.`
          : "Trop de codes incorrects : votre session a été fermée. Reconnectez-vous pour réessayer.";
      return json({ error: message, ended: true } satisfies ActionData, {
        headers: { "Set-Cookie": await sessionCookie(context.config).serialize("", { maxAge: 0 }) },
      });
    }
  }
}

export default function SecondFactor() {
  const data = useActionData<ActionData>();
  const [params] = useSearchParams();
  const navigation = useNavigation();
  return (
    <section className="auth-page" aria-labelledby="twofa-title">
      <h1 id="twofa-title">Double authentification</h1>
      {data?.error ? (
        <div className="alert alert-error" role="alert">
          {data.error}
        </div>
      ) : null}
      {data?.ended ? (
        <p>
          <Link to="/login">Revenir à la connexion</Link>
        </p>
      ) : (
        <>
          <p className="muted">
            Saisissez le code à 6 chiffres affiché par votre application d'authentification. Si vous n'avez
            plus accès à votre téléphone, saisissez l'un de vos codes de secours (chacun ne sert qu'une fois).
          </p>
          <Form method="post" className="stack">
            <CsrfInput />
            <input type="hidden" name="redirectTo" value={params.get("redirectTo") ?? "/"} />
            <div className="field">
              <label htmlFor="code">Code de vérification</label>
              <input
                id="code"
                name="code"
                type="text"
                inputMode="text"
                autoComplete="one-time-code"
                autoCapitalize="characters"
                spellCheck={false}
                required
                maxLength={40}
                aria-describedby="code-hint"
                aria-invalid={data?.error ? true : undefined}
              />
              <span id="code-hint" className="hint">
                Exemple : 123456, ou un code de secours XXXX-XXXX-XXXX.
              </span>
            </div>
            <div className="toolbar">
              <button type="submit" className="button" disabled={navigation.state === "submitting"}>
                Vérifier
              </button>
            </div>
          </Form>
          <Form method="post" action="/logout">
            <CsrfInput />
            <button type="submit" className="button button-secondary button-small">
              Annuler et se déconnecter
            </button>
          </Form>
        </>
      )}
    </section>
  );
}
