import { type ZodErrorMap, ZodIssueCode, z } from "zod";

/**
 * zod's default messages are English ("Required", "Expected number, received nan"). Forms give their own
 * French message wherever a field has a rule of its own; this map is what a user reads for any rule left
 * without one, so that no English reaches a page. Installed once by the server entry.
 */
export const frenchZodMessages: ZodErrorMap = (issue, ctx) => {
  switch (issue.code) {
    case ZodIssueCode.invalid_type:
      if (issue.received === "undefined" || issue.received === "null")
        return { message: "Champ obligatoire." };
      if (issue.expected === "number" || issue.expected === "bigint") return { message: "Nombre attendu." };
      if (issue.expected === "date") return { message: "Date attendue." };
      return { message: "Valeur invalide." };
    case ZodIssueCode.invalid_literal:
    case ZodIssueCode.invalid_enum_value:
    case ZodIssueCode.invalid_union_discriminator:
      return { message: "Choix invalide." };
    case ZodIssueCode.invalid_date:
      return { message: "Date invalide." };
    case ZodIssueCode.invalid_string:
      return { message: "Format invalide." };
    case ZodIssueCode.too_small:
      if (issue.type === "string")
        return {
          message:
            Number(issue.minimum) <= 1 ? "Champ obligatoire." : `Au moins ${issue.minimum} caractères.`,
        };
      if (issue.type === "number") return { message: `Valeur trop petite (minimum ${issue.minimum}).` };
      return { message: "Trop peu d'éléments." };
    case ZodIssueCode.too_big:
      if (issue.type === "string") return { message: `${issue.maximum} caractères au plus.` };
      if (issue.type === "number") return { message: `Valeur trop grande (maximum ${issue.maximum}).` };
      return { message: "Trop d'éléments." };
    case ZodIssueCode.not_finite:
      return { message: "Nombre attendu." };
    default:
      return { message: ctx.defaultError === "Required" ? "Champ obligatoire." : "Valeur invalide." };
  }
};

export function installFrenchZodMessages(): void {
  z.setErrorMap(frenchZodMessages);
}
