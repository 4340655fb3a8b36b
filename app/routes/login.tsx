import {
  type ActionFunctionArgs,
  type LoaderFunctionArgs,
  type MetaFunction,
  redirect,
} from "@remix-run/node";
import { Form, useActionData, useNavigation, useSearchParams } from "@remix-run/react";
import { z } from "zod";
import { writeAudit } from "~/domain/audit/audit.server";
import { getUser } from "~/domain/auth/guards.server";
import { attemptLogin } from "~/domain/auth/login.server";
import { safeRedirect } from "~/domain/auth/safe-redirect";
import { createSession, sessionCookie } from "~/domain/auth/session.server";

export const meta: MetaFunction = () => [{ title: "Connexion — mes-ops" }];

export async function loader({ request, context }: LoaderFunctionArgs) {
  const user = await getUser(request, context);
  if (user && (user.secondFactorDone || !user.twoFactorEnabled)) return redirect("/");
  return null;
}

const LoginForm = z.object({
  email: z.string().trim().min(1, "Saisissez votre adresse e-mail.").max(254),
  password: z.string().min(1, "Saisissez votre mot de passe.").max(256),
  redirectTo: z.string().optional(),
});

const GENERIC = "Adresse e-mail ou mot de passe incorrect.";

export async function action({ request, context }: ActionFunctionArgs) {
  const parsed = LoginForm.safeParse(Object.fromEntries(await request.formData()));
  if (!parsed.success) {
    return { error: parsed.error.issues[0]?.message ?? GENERIC };
  }
  const { email, password } = parsed.data;
  const result = await attemptLogin(context.db, { email, password, ip: context.ip });
  if (result.kind === "rate_limited") {
    return new Response(
      JSON.stringify({ error: "Trop de tentatives depuis votre poste. Réessayez dans quelques minutes." }),
      {
        status: 429,
        headers: { "Content-Type": "application/json; charset=utf-8", "Retry-After": "900" },
      },
    );
  }
  if (result.kind === "locked") {
    return {
      error: `Trop de tentatives infructueuses : la connexion à ce compte est suspendue pendant ${result.minutes} minutes.`,
    };
  }
  if (result.kind === "invalid") return { error: GENERIC };

  const { token } = await createSession(
    context.db,
    { config: context.config },
    {
      userId: result.userId,
      secondFactorDone: !result.needsSecondFactor,
      ip: context.ip,
      userAgent: request.headers.get("user-agent"),
    },
  );
  await writeAudit(
    context.db,
    { userId: result.userId, label: email.toLowerCase(), requestId: context.requestId, ip: context.ip },
    { action: "auth.login", objectType: "user", objectId: result.userId },
  );
  const target = result.needsSecondFactor
    ? `/login/2fa?redirectTo=${encodeURIComponent(safeRedirect(parsed.data.redirectTo))}`
    : safeRedirect(parsed.data.redirectTo);
  return redirect(target, {
    headers: { "Set-Cookie": await sessionCookie(context.config).serialize(token) },
  });
}

export default function Login() {
  const data = useActionData<{ error?: string }>();
  const [params] = useSearchParams();
  const navigation = useNavigation();
  return (
    <section className="auth-page" aria-labelledby="login-title">
      <h1 id="login-title">Connexion</h1>
      <p className="muted">Espace réservé aux agents habilités de l'Assurance Maladie et du ministère.</p>
      {data?.error ? (
        <div className="alert alert-error" role="alert">
          {data.error}
        </div>
      ) : null}
      <Form method="post" className="stack">
        <input type="hidden" name="redirectTo" value={params.get("redirectTo") ?? "/"} />
        <div className="field">
          <label htmlFor="email">Adresse e-mail</label>
          <input id="email" name="email" type="email" autoComplete="username" required />
        </div>
        <div className="field">
          <label htmlFor="password">Mot de passe</label>
          <input id="password" name="password" type="password" autoComplete="current-password" required />
        </div>
        <div>
          <button type="submit" className="button" disabled={navigation.state === "submitting"}>
            Se connecter
          </button>
        </div>
      </Form>
    </section>
  );
}
