import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData, useNavigation, useSearchParams } from "@remix-run/react";
import { z } from "zod";
import { CsrfInput } from "~/components/csrf";
import { ShownOnce } from "~/components/shown-once";
import { RoleBadges, RoleCheckboxes, StatusBadge } from "~/components/staff-user";
import { formObject, RolesField } from "~/domain/admin/user-forms";
import {
  type AdminActionResult,
  findStaffUser,
  resetUserPassword,
  setUserDisabled,
  setUserRoles,
  unlockUser,
} from "~/domain/admin/users.server";
import { actorOf, requirePermission } from "~/domain/auth/guards.server";
import { formatDateTime } from "~/domain/lifecycle/paris-time";
import { recordIdParam } from "~/http/params";

export const meta: MetaFunction<typeof loader> = ({ data }) => [
  { title: `${data?.user.displayName ?? "Utilisateur"} — Utilisateurs — mes-ops` },
];

function notFound(): Response {
  return new Response("Cet utilisateur n'existe pas.", { status: 404 });
}

export async function loader({ request, context, params }: LoaderFunctionArgs) {
  const me = await requirePermission(request, context, "users:admin");
  const id = recordIdParam(params.userId);
  if (id === null) throw notFound();
  const user = await findStaffUser(context.db, id);
  if (!user) throw notFound();
  return {
    isSelf: user.id === me.id,
    user: {
      id: user.id,
      email: user.email,
      displayName: user.displayName,
      roles: user.roles,
      status: user.status,
      twoFactorEnabled: user.twoFactorEnabled,
      mustChangePassword: user.mustChangePassword,
      lastLogin: user.lastLoginAt ? formatDateTime(user.lastLoginAt) : null,
      createdAt: formatDateTime(user.createdAt),
      lockedUntil: user.lockedUntil ? formatDateTime(user.lockedUntil) : null,
    },
  };
}

type ActionData = {
  ok: boolean;
  message: string;
  fieldErrors?: Record<string, string>;
  temporaryPassword?: string;
};

const Intent = z.enum(["roles", "disable", "enable", "reset", "unlock"]);

function describe(result: AdminActionResult, done: string, self: string): ActionData {
  switch (result.kind) {
    case "done":
      return { ok: true, message: done };
    case "unchanged":
      return { ok: true, message: "Aucun changement : le compte était déjà dans cet état." };
    case "self_forbidden":
      return { ok: false, message: self };
    case "not_found":
      throw notFound();
  }
}

export async function action({ request, context, params }: ActionFunctionArgs): Promise<ActionData> {
  const me = await requirePermission(request, context, "users:admin");
  const id = recordIdParam(params.userId);
  if (id === null) throw notFound();
  const userId = id;
  const raw = formObject(await request.formData());
  const intent = Intent.safeParse(raw.intent);
  if (!intent.success) throw new Response("Action inconnue.", { status: 400 });
  const actor = actorOf(me, context);
  switch (intent.data) {
    case "roles": {
      const roles = RolesField.safeParse(raw.roles);
      if (!roles.success)
        return {
          ok: false,
          message: "Rôles non modifiés.",
          fieldErrors: { roles: roles.error.issues[0]?.message ?? "Rôles invalides." },
        };
      const result = await setUserRoles(context.db, actor, { userId, roles: roles.data });
      return describe(
        result,
        "Rôles enregistrés. Ils s'appliquent dès la prochaine page ouverte par l'utilisateur.",
        "Vous ne pouvez pas retirer votre propre rôle d'administrateur.",
      );
    }
    case "disable":
    case "enable": {
      const result = await setUserDisabled(context.db, actor, {
        userId,
        disabled: intent.data === "disable",
      });
      return describe(
        result,
        intent.data === "disable"
          ? `Compte désactivé${result.kind === "done" && result.sessionsRevoked > 0 ? ` ; ${result.sessionsRevoked} session(s) fermée(s)` : ""}.`
          : "Compte réactivé.",
        "Vous ne pouvez pas désactiver votre propre compte.",
      );
    }
    case "reset": {
      const result = await resetUserPassword(context.db, actor, { userId });
      if (result.kind !== "done") return describe(result, "", "");
      return {
        ok: true,
        message: "Mot de passe réinitialisé ; toutes les sessions du compte ont été fermées.",
        temporaryPassword: result.temporaryPassword,
      };
    }
    case "unlock": {
      const result = await unlockUser(context.db, actor, { userId });
      return describe(result, "Compte déverrouillé : l'utilisateur peut de nouveau se connecter.", "");
    }
  }
}

const CONFIRMATIONS = {
  desactiver: {
    intent: "disable",
    title: "Désactiver ce compte ?",
    text: "L'utilisateur ne pourra plus se connecter et toutes ses sessions ouvertes seront fermées immédiatement. Vous pourrez réactiver le compte plus tard.",
    button: "Confirmer la désactivation",
  },
  reinitialiser: {
    intent: "reset",
    title: "Réinitialiser le mot de passe ?",
    text: "Un mot de passe provisoire sera généré et affiché une seule fois ; l'ancien ne fonctionnera plus et toutes les sessions du compte seront fermées.",
    button: "Confirmer la réinitialisation",
  },
} as const;

export default function AdminUser() {
  const { user, isSelf } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const navigation = useNavigation();
  const [params] = useSearchParams();
  const busy = navigation.state === "submitting";
  const confirmKey = params.get("confirmer");
  const confirmation =
    !result && confirmKey && confirmKey in CONFIRMATIONS
      ? CONFIRMATIONS[confirmKey as keyof typeof CONFIRMATIONS]
      : null;

  return (
    <>
      <p>
        <Link to="/admin/users">← Utilisateurs</Link>
      </p>
      <div className="page-header">
        <h1>{user.displayName}</h1>
        <StatusBadge status={user.status} />
      </div>

      {result ? (
        result.ok ? (
          <output className="alert alert-success">{result.message}</output>
        ) : (
          <div className="alert alert-error" role="alert">
            {result.message}
          </div>
        )
      ) : null}
      {result?.temporaryPassword ? (
        <ShownOnce title="Mot de passe provisoire" items={[result.temporaryPassword]}>
          Transmettez-le à {user.email} par un canal sûr : il ne sera plus affiché. Il devra être changé à la
          prochaine connexion.
        </ShownOnce>
      ) : null}

      {confirmation ? (
        <section className="alert alert-warning" aria-labelledby="confirm-title">
          <h2 id="confirm-title">{confirmation.title}</h2>
          <p>{confirmation.text}</p>
          <Form method="post" className="toolbar" replace>
            <CsrfInput />
            <input type="hidden" name="intent" value={confirmation.intent} />
            <button type="submit" className="button button-danger" disabled={busy}>
              {confirmation.button}
            </button>
            <Link to={`/admin/users/${user.id}`}>Annuler</Link>
          </Form>
        </section>
      ) : null}

      <div className="grid account-grid">
        <section className="card" aria-labelledby="account-title">
          <h2 id="account-title">Compte</h2>
          <dl className="facts">
            <dt>Adresse e-mail</dt>
            <dd>{user.email}</dd>
            <dt>Rôles</dt>
            <dd>
              <RoleBadges roles={user.roles} />
            </dd>
            <dt>Double authentification</dt>
            <dd>{user.twoFactorEnabled ? "Active" : "Inactive"}</dd>
            <dt>Dernière connexion</dt>
            <dd>{user.lastLogin ?? "Jamais"}</dd>
            <dt>Créé le</dt>
            <dd>{user.createdAt}</dd>
            {user.mustChangePassword ? (
              <>
                <dt>Mot de passe</dt>
                <dd>Provisoire : à changer à la prochaine connexion</dd>
              </>
            ) : null}
            {user.lockedUntil ? (
              <>
                <dt>Verrouillé jusqu'au</dt>
                <dd>{user.lockedUntil}</dd>
              </>
            ) : null}
          </dl>
          <p>
            <Link to={`/admin/audit?objectType=user&objectId=${user.id}`}>
              Voir l'historique de ce compte
            </Link>
          </p>
        </section>

        <section className="card" aria-labelledby="actions-title">
          <h2 id="actions-title">Actions</h2>
          <div className="stack">
            {user.status === "locked" ? (
              <Form method="post">
                <CsrfInput />
                <input type="hidden" name="intent" value="unlock" />
                <button type="submit" className="button" disabled={busy}>
                  Déverrouiller le compte
                </button>
              </Form>
            ) : null}
            <div>
              <Link to="?confirmer=reinitialiser" className="button button-secondary">
                Réinitialiser le mot de passe…
              </Link>
            </div>
            {user.status === "disabled" ? (
              <Form method="post">
                <CsrfInput />
                <input type="hidden" name="intent" value="enable" />
                <button type="submit" className="button" disabled={busy}>
                  Réactiver le compte
                </button>
              </Form>
            ) : isSelf ? (
              <p className="hint">Vous ne pouvez pas désactiver votre propre compte.</p>
            ) : (
              <div>
                <Link to="?confirmer=desactiver" className="button button-danger">
                  Désactiver le compte…
                </Link>
              </div>
            )}
          </div>
        </section>
      </div>

      <section className="card" aria-labelledby="roles-title">
        <h2 id="roles-title">Modifier les rôles</h2>
        <Form method="post" className="stack" key={user.roles.join(",")}>
          <CsrfInput />
          <input type="hidden" name="intent" value="roles" />
          <RoleCheckboxes idPrefix="edit" selected={user.roles} error={result?.fieldErrors?.roles} />
          {isSelf ? (
            <p className="hint">Vous ne pouvez pas retirer votre propre rôle d'administrateur.</p>
          ) : null}
          <div>
            <button type="submit" className="button" disabled={busy}>
              Enregistrer les rôles
            </button>
          </div>
        </Form>
      </section>
    </>
  );
}
