import { z } from "zod";
import { ROLES } from "../auth/permissions";

/** The admin forms' input rules (French messages name the field). */
export const RolesField = z
  .array(z.enum(ROLES, { errorMap: () => ({ message: "Rôle inconnu." }) }))
  .min(1, "Choisissez au moins un rôle.");

export const NewUserForm = z.object({
  email: z
    .string()
    .trim()
    .min(1, "Saisissez l'adresse e-mail.")
    .max(254, "L'adresse e-mail est trop longue (254 caractères au plus).")
    .email("Adresse e-mail invalide (exemple : prenom.nom@assurance-maladie.fr)."),
  displayName: z
    .string()
    .trim()
    .min(2, "Saisissez le nom affiché (2 caractères au moins).")
    .max(120, "Le nom affiché est trop long (120 caractères au plus)."),
  roles: RolesField,
  /** Empty: a temporary one is generated and shown once. */
  password: z.string().max(256, "Le mot de passe ne peut dépasser 256 caractères.").optional(),
});

/** Reads a form whose "roles" field repeats (checkboxes). */
export function formObject(form: FormData): Record<string, unknown> {
  const out: Record<string, unknown> = Object.fromEntries(form);
  out.roles = form.getAll("roles").map(String);
  return out;
}

export function fieldErrors(error: z.ZodError): Record<string, string> {
  const out: Record<string, string> = {};
  for (const issue of error.issues) out[String(issue.path[0] ?? "form")] ??= issue.message;
  return out;
}
