import {
  type ActionFunctionArgs,
  type LoaderFunctionArgs,
  type MetaFunction,
  redirect,
} from "@remix-run/node";
import { Form, useActionData, useLoaderData, useNavigation } from "@remix-run/react";
import { z } from "zod";
import { CsrfInput } from "~/components/csrf";
import { Field } from "~/components/field";
import { ShownOnce } from "~/components/shown-once";
import { actorOf, requireUser } from "~/domain/auth/guards.server";
import { activeSessions, changeOwnPassword } from "~/domain/auth/password-change.server";
import { MIN_PASSWORD_LENGTH, PASSWORD_PROBLEM_LABELS } from "~/domain/auth/password-rules.server";
import {
  confirmEnrolment,
  disableTwoFactor,
  pendingEnrolment,
  regenerateRecoveryCodes,
  startEnrolment,
  twoFactorStatus,
} from "~/domain/auth/two-factor.server";
import { formatDateTime } from "~/domain/lifecycle/paris-time";

/** /account/security: the user's own password, second factor, recovery codes and sessions. */
export const meta: MetaFunction = () => [{ title: "Mon compte et sécurité — mes-ops" }];

export async function loader({ request, context }: LoaderFunctionArgs) {
  const user = await requireUser(request, context);
  const status = await twoFactorStatus(context.db, user.id);
  const pending = status.pending
    ? await pendingEnrolment(context.db, { masterSecret: context.config.secrets.session }, user)
    : null;
  const sessions = await activeSessions(context.db, {
    userId: user.id,
    currentSessionId: user.sessionId,
    idleMinutes: context.config.sessionIdleMinutes,
  });
  return {
    email: user.email,
    // Passed as data: the policy module reads a word list on the server and cannot ship to the browser.
    minPasswordLength: MIN_PASSWORD_LENGTH,
    mustChangePassword: user.mustChangePassword,
    twoFactorRequired: context.config.require2fa,
    status: {
      enabled: status.enabled,
      enabledAt: status.enabledAt?.toISOString() ?? null,
      recoveryCodesLeft: status.recoveryCodesLeft,
    },
    pending: pending ? { secret: pending.secret, qrDataUrl: pending.qrDataUrl } : null,
    sessions: sessions.map((s) => ({
      current: s.current,
      createdAt: formatDateTime(s.createdAt),
      lastSeenAt: formatDateTime(s.lastSeenAt),
      ip: s.ip,
      userAgent: s.userAgent,
    })),
  };
}

type Intent = "password" | "start" | "confirm" | "disable" | "regenerate";
interface ActionData {
  intent: Intent;
  error?: string;
  fieldErrors?: Record<string, string>;
  success?: string;
  recoveryCodes?: string[];
}

const PasswordForm = z
  .object({
    currentPassword: z.string().min(1, "Saisissez votre mot de passe actuel.").max(256),
    newPassword: z
      .string()
      .min(1, "Saisissez le nouveau mot de passe.")
      .max(256, "Le mot de passe ne peut dépasser 256 caractères."),
    confirmation: z.string().max(256),
  })
  .refine((v) => v.newPassword === v.confirmation, {
    path: ["confirmation"],
    message: "La confirmation ne correspond pas au nouveau mot de passe.",
  });
const ConfirmForm = z.object({
  code: z
    .string()
    .trim()
    .regex(/^\d{3}\s?\d{3}$/, "Saisissez les 6 chiffres affichés par votre application."),
});
const PasswordOnlyForm = z.object({ password: z.string().min(1, "Saisissez votre mot de passe.").max(256) });

function fieldErrors(error: z.ZodError): Record<string, string> {
  const out: Record<string, string> = {};
  for (const issue of error.issues) out[String(issue.path[0])] ??= issue.message;
  return out;
}

export async function action({ request, context }: ActionFunctionArgs) {
  const user = await requireUser(request, context);
  const form = Object.fromEntries(await request.formData());
  const actor = actorOf(user, context);
  const masterSecret = context.config.secrets.session;
  const intent = String(form.intent ?? "") as Intent;
  const reply = (data: Omit<ActionData, "intent">): ActionData => ({ intent, ...data });

  switch (intent) {
    case "password": {
      const parsed = PasswordForm.safeParse(form);
      if (!parsed.success) return reply({ fieldErrors: fieldErrors(parsed.error) });
      const result = await changeOwnPassword(context.db, actor, {
        userId: user.id,
        sessionId: user.sessionId,
        currentPassword: parsed.data.currentPassword,
        newPassword: parsed.data.newPassword,
      });
      if (result.kind === "wrong_password")
        return reply({ fieldErrors: { currentPassword: "Mot de passe actuel incorrect." } });
      if (result.kind === "weak_password")
        return reply({ fieldErrors: { newPassword: PASSWORD_PROBLEM_LABELS[result.problem] } });
      if (result.kind === "same_password")
        return reply({ fieldErrors: { newPassword: "Le nouveau mot de passe doit différer de l'actuel." } });
      return reply({
        success:
          result.otherSessionsRevoked > 0
            ? `Mot de passe modifié. ${result.otherSessionsRevoked} autre(s) session(s) ont été fermées.`
            : "Mot de passe modifié.",
      });
    }
    case "start": {
      const result = await startEnrolment(context.db, { masterSecret }, user.id);
      if (result.kind === "already_enabled")
        return reply({ error: "La double authentification est déjà active sur votre compte." });
      return redirect("/account/security#double-authentification");
    }
    case "confirm": {
      const parsed = ConfirmForm.safeParse(form);
      if (!parsed.success) return reply({ fieldErrors: fieldErrors(parsed.error) });
      const result = await confirmEnrolment(context.db, { masterSecret }, actor, {
        userId: user.id,
        sessionId: user.sessionId,
        code: parsed.data.code,
      });
      if (result.kind === "invalid_code")
        return reply({
          fieldErrors: {
            code: "Code incorrect : vérifiez que l'heure de votre téléphone est juste et saisissez le code affiché maintenant.",
          },
        });
      if (result.kind === "not_pending")
        return reply({ error: "Aucune activation en cours : recommencez depuis « Activer »." });
      return reply({ success: "Double authentification activée.", recoveryCodes: result.recoveryCodes });
    }
    case "disable": {
      if (context.config.require2fa)
        return reply({
          error:
            "La double authentification est obligatoire sur cette plateforme : elle ne peut être désactivée.",
        });
      const parsed = PasswordOnlyForm.safeParse(form);
      if (!parsed.success) return reply({ fieldErrors: fieldErrors(parsed.error) });
      const result = await disableTwoFactor(context.db, actor, {
        userId: user.id,
        password: parsed.data.password,
      });
      if (result.kind === "wrong_password")
        return reply({ fieldErrors: { password: "Mot de passe incorrect." } });
      if (result.kind === "not_enabled")
        return reply({ error: "La double authentification n'est pas active." });
      return reply({
        success: "Double authentification désactivée. Vos codes de secours ne sont plus valables.",
      });
    }
    case "regenerate": {
      const parsed = PasswordOnlyForm.safeParse(form);
      if (!parsed.success) return reply({ fieldErrors: fieldErrors(parsed.error) });
      const result = await regenerateRecoveryCodes(context.db, actor, {
        userId: user.id,
        password: parsed.data.password,
      });
      if (result.kind === "wrong_password")
        return reply({ fieldErrors: { password: "Mot de passe incorrect." } });
      if (result.kind === "not_enabled")
        return reply({ error: "La double authentification n'est pas active." });
      return reply({
        success: "Nouveaux codes de secours générés : les anciens ne fonctionnent plus.",
        recoveryCodes: result.recoveryCodes,
      });
    }
    default:
      throw new Response("Action inconnue.", { status: 400 });
  }
}

export default function AccountSecurity() {
  const data = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const navigation = useNavigation();
  const busy = navigation.state === "submitting";
  const errorsFor = (intent: Intent) => (result?.intent === intent ? (result.fieldErrors ?? {}) : {});
  const pwErrors = errorsFor("password");
  const confirmErrors = errorsFor("confirm");
  const disableErrors = errorsFor("disable");
  const regenErrors = errorsFor("regenerate");

  return (
    <>
      <div className="page-header">
        <h1>Mon compte et sécurité</h1>
      </div>
      <p className="muted">Connecté en tant que {data.email}.</p>

      {data.mustChangePassword ? (
        <div className="alert alert-warning" role="alert">
          Votre mot de passe a été fixé par un administrateur : choisissez votre propre mot de passe pour
          continuer.
        </div>
      ) : null}
      {data.twoFactorRequired && !data.status.enabled ? (
        <div className="alert alert-warning" role="alert">
          La double authentification est obligatoire : activez-la pour accéder à l'application.
        </div>
      ) : null}
      {result?.error ? (
        <div className="alert alert-error" role="alert">
          {result.error}
        </div>
      ) : null}
      {result?.success ? <output className="alert alert-success">{result.success}</output> : null}
      {result?.recoveryCodes ? (
        <ShownOnce title="Vos codes de secours" items={result.recoveryCodes}>
          Notez ou imprimez ces 10 codes maintenant et gardez-les en lieu sûr : ils ne seront plus jamais
          affichés. Chacun permet une seule connexion si vous n'avez plus votre téléphone.
        </ShownOnce>
      ) : null}

      <div className="grid account-grid">
        <section className="card" aria-labelledby="password-title">
          <h2 id="password-title">Mot de passe</h2>
          <Form method="post" className="stack" noValidate>
            <CsrfInput />
            <input type="hidden" name="intent" value="password" />
            <Field
              id="currentPassword"
              name="currentPassword"
              type="password"
              label="Mot de passe actuel"
              autoComplete="current-password"
              required
              error={pwErrors.currentPassword}
            />
            <Field
              id="newPassword"
              name="newPassword"
              type="password"
              label="Nouveau mot de passe"
              autoComplete="new-password"
              required
              minLength={data.minPasswordLength}
              error={pwErrors.newPassword}
              hint={`Au moins ${data.minPasswordLength} caractères ; les mots de passe les plus courants sont refusés. Une phrase de plusieurs mots est un bon choix.`}
            />
            <Field
              id="confirmation"
              name="confirmation"
              type="password"
              label="Confirmation du nouveau mot de passe"
              autoComplete="new-password"
              required
              error={pwErrors.confirmation}
            />
            <p className="hint">Vos autres sessions ouvertes seront fermées.</p>
            <div>
              <button type="submit" className="button" disabled={busy}>
                Changer le mot de passe
              </button>
            </div>
          </Form>
        </section>

        <section className="card" aria-labelledby="double-authentification">
          <h2 id="double-authentification">Double authentification</h2>
          {data.status.enabled ? (
            <>
              <p>
                <span className="badge badge-success">Active</span> depuis le{" "}
                {data.status.enabledAt ? formatDateTime(new Date(data.status.enabledAt)) : "—"}.
              </p>
              <p>
                Codes de secours restants : <strong>{data.status.recoveryCodesLeft}</strong> sur 10.
                {data.status.recoveryCodesLeft <= 3 ? " Pensez à en générer de nouveaux." : null}
              </p>
              <details className="details">
                <summary>Générer de nouveaux codes de secours</summary>
                <Form method="post" className="stack" noValidate>
                  <CsrfInput />
                  <input type="hidden" name="intent" value="regenerate" />
                  <Field
                    id="regenerate-password"
                    name="password"
                    type="password"
                    label="Mot de passe (confirmation)"
                    autoComplete="current-password"
                    required
                    error={regenErrors.password}
                  />
                  <div>
                    <button type="submit" className="button button-secondary" disabled={busy}>
                      Générer 10 nouveaux codes
                    </button>
                  </div>
                </Form>
              </details>
              {data.twoFactorRequired ? (
                <p className="hint">La double authentification est obligatoire sur cette plateforme.</p>
              ) : (
                <details className="details">
                  <summary>Désactiver la double authentification</summary>
                  <Form method="post" className="stack" noValidate>
                    <CsrfInput />
                    <input type="hidden" name="intent" value="disable" />
                    <p className="hint">
                      Votre compte ne sera plus protégé que par son mot de passe ; vos codes de secours seront
                      invalidés.
                    </p>
                    <Field
                      id="disable-password"
                      name="password"
                      type="password"
                      label="Mot de passe (confirmation)"
                      autoComplete="current-password"
                      required
                      error={disableErrors.password}
                    />
                    <div>
                      <button type="submit" className="button button-danger" disabled={busy}>
                        Désactiver
                      </button>
                    </div>
                  </Form>
                </details>
              )}
            </>
          ) : data.pending ? (
            <>
              <p>
                Dans votre application d'authentification (FreeOTP, Google Authenticator, Microsoft
                Authenticator…), ajoutez un compte en scannant ce QR code, puis saisissez le code qu'elle
                affiche.
              </p>
              <img
                className="qr-code"
                src={data.pending.qrDataUrl}
                width={220}
                height={220}
                alt="QR code à scanner avec votre application d'authentification"
              />
              <p className="hint">
                Impossible de scanner ? Saisissez cette clé à la main :{" "}
                <code className="totp-secret" data-testid="totp-secret">
                  {data.pending.secret}
                </code>
              </p>
              <Form method="post" className="stack" noValidate>
                <CsrfInput />
                <input type="hidden" name="intent" value="confirm" />
                <Field
                  id="confirm-code"
                  name="code"
                  label="Code à 6 chiffres affiché par l'application"
                  inputMode="numeric"
                  autoComplete="one-time-code"
                  pattern="[0-9 ]*"
                  maxLength={7}
                  required
                  error={confirmErrors.code}
                />
                <div>
                  <button type="submit" className="button" disabled={busy}>
                    Confirmer l'activation
                  </button>
                </div>
              </Form>
            </>
          ) : (
            <>
              <p>
                <span className="badge">Inactive</span> Protégez votre compte par un code à 6 chiffres généré
                par une application sur votre téléphone, demandé après le mot de passe.
              </p>
              <Form method="post">
                <CsrfInput />
                <input type="hidden" name="intent" value="start" />
                <button type="submit" className="button" disabled={busy}>
                  Activer la double authentification
                </button>
              </Form>
            </>
          )}
        </section>
      </div>

      <section className="card" aria-labelledby="sessions-title">
        <h2 id="sessions-title">Sessions ouvertes</h2>
        <div className="table-wrap">
          <table className="table">
            <caption className="sr-only">Vos sessions ouvertes</caption>
            <thead>
              <tr>
                <th scope="col">Ouverte le</th>
                <th scope="col">Dernière activité</th>
                <th scope="col">Adresse IP</th>
                <th scope="col">Navigateur</th>
              </tr>
            </thead>
            <tbody>
              {data.sessions.map((s) => (
                <tr key={`${s.createdAt}-${s.lastSeenAt}-${s.ip}-${s.userAgent}`}>
                  <td>
                    {s.createdAt} {s.current ? <span className="badge badge-info">Cette session</span> : null}
                  </td>
                  <td>{s.lastSeenAt}</td>
                  <td className="mono">{s.ip ?? "—"}</td>
                  <td className="user-agent">{s.userAgent ?? "—"}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
        <Form method="post" action="/logout" className="toolbar logout-everywhere">
          <CsrfInput />
          <input type="hidden" name="everywhere" value="1" />
          <button type="submit" className="button button-danger">
            Se déconnecter partout
          </button>
          <span className="hint">Ferme toutes vos sessions, y compris celle-ci.</span>
        </Form>
      </section>
    </>
  );
}
