import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData, useNavigation } from "@remix-run/react";
import { CsrfInput } from "~/components/csrf";
import { Field } from "~/components/field";
import { ShownOnce } from "~/components/shown-once";
import { RoleCheckboxes } from "~/components/staff-user";
import { fieldErrors, formObject, NewUserForm } from "~/domain/admin/user-forms";
import { createStaffUser } from "~/domain/admin/users.server";
import { actorOf, requirePermission } from "~/domain/auth/guards.server";
import { MIN_PASSWORD_LENGTH, PASSWORD_PROBLEM_LABELS } from "~/domain/auth/password-rules.server";

export const meta: MetaFunction = () => [{ title: "Créer un utilisateur — mes-ops" }];

export async function loader({ request, context }: LoaderFunctionArgs) {
  await requirePermission(request, context, "users:admin");
  // Passed as data: the policy module reads a word list on the server and cannot ship to the browser.
  return { minPasswordLength: MIN_PASSWORD_LENGTH };
}

type ActionData =
  | {
      ok: false;
      fieldErrors: Record<string, string>;
      values: { email: string; displayName: string; roles: string[] };
    }
  | { ok: true; userId: number; email: string; temporaryPassword: string | null };

export async function action({ request, context }: ActionFunctionArgs): Promise<ActionData> {
  const user = await requirePermission(request, context, "users:admin");
  const raw = formObject(await request.formData());
  const values = {
    email: String(raw.email ?? ""),
    displayName: String(raw.displayName ?? ""),
    roles: (raw.roles as string[]) ?? [],
  };
  const parsed = NewUserForm.safeParse(raw);
  if (!parsed.success) return { ok: false, fieldErrors: fieldErrors(parsed.error), values };
  const result = await createStaffUser(context.db, actorOf(user, context), {
    email: parsed.data.email,
    displayName: parsed.data.displayName,
    roles: parsed.data.roles,
    password: parsed.data.password || null,
  });
  if (result.kind === "email_taken")
    return { ok: false, fieldErrors: { email: "Un compte existe déjà avec cette adresse e-mail." }, values };
  if (result.kind === "weak_password")
    return { ok: false, fieldErrors: { password: PASSWORD_PROBLEM_LABELS[result.problem] }, values };
  return {
    ok: true,
    userId: result.userId,
    email: parsed.data.email,
    temporaryPassword: result.temporaryPassword,
  };
}

export default function NewUser() {
  const { minPasswordLength } = useLoaderData<typeof loader>();
  const data = useActionData<typeof action>();
  const navigation = useNavigation();
  if (data?.ok) {
    return (
      <>
        <div className="page-header">
          <h1>Utilisateur créé</h1>
        </div>
        {data.temporaryPassword ? (
          <ShownOnce title="Mot de passe provisoire" items={[data.temporaryPassword]}>
            Transmettez ce mot de passe à {data.email} par un canal sûr : il ne sera plus affiché. Il devra
            être changé à la première connexion.
          </ShownOnce>
        ) : (
          <output className="alert alert-success">
            Compte {data.email} créé avec le mot de passe que vous avez défini ; il devra être changé à la
            première connexion.
          </output>
        )}
        <p className="toolbar">
          <Link to={`/admin/users/${data.userId}`} className="button">
            Voir le compte
          </Link>
          <Link to="/admin/users">Retour à la liste</Link>
        </p>
      </>
    );
  }
  const errors = data?.fieldErrors ?? {};
  const values = data?.values;
  return (
    <>
      <div className="page-header">
        <h1>Créer un utilisateur</h1>
      </div>
      {data && !data.ok ? (
        <div className="alert alert-error" role="alert">
          Le compte n'a pas été créé : corrigez les champs signalés.
        </div>
      ) : null}
      <Form method="post" className="stack" noValidate>
        <CsrfInput />
        <Field
          id="email"
          name="email"
          type="email"
          label="Adresse e-mail"
          autoComplete="off"
          required
          defaultValue={values?.email}
          error={errors.email}
        />
        <Field
          id="displayName"
          name="displayName"
          label="Nom affiché"
          required
          defaultValue={values?.displayName}
          error={errors.displayName}
        />
        <RoleCheckboxes idPrefix="new" selected={values?.roles ?? []} error={errors.roles} />
        <Field
          id="password"
          name="password"
          type="password"
          label="Mot de passe initial (facultatif)"
          autoComplete="new-password"
          minLength={minPasswordLength}
          error={errors.password}
          hint={`Laissez vide pour générer un mot de passe provisoire, affiché une seule fois. Sinon : au moins ${minPasswordLength} caractères, hors mots de passe courants. Dans les deux cas, l'utilisateur devra le changer à sa première connexion.`}
        />
        <div className="toolbar">
          <button type="submit" className="button" disabled={navigation.state === "submitting"}>
            Créer le compte
          </button>
          <Link to="/admin/users">Annuler</Link>
        </div>
      </Form>
    </>
  );
}
