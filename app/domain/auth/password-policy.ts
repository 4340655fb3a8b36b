import { createRequire } from "node:module";

const require = createRequire(import.meta.url);
// Mozilla's list of the most common passwords (from the 10 million password corpus).
const commonList = require("fxa-common-password-list") as { test(password: string): boolean };

export const MIN_PASSWORD_LENGTH = 12;

// A few French favourites that a French back-office will see first.
const FRENCH_COMMON = new Set([
  "motdepasse",
  "motdepasse1",
  "motdepasse123",
  "azertyuiop",
  "azerty123456",
  "soleil123456",
  "bonjour12345",
  "marseille1313",
  "jetaime123456",
  "assurancemaladie",
  "monespacesante",
]);

export type PasswordProblem = "too_short" | "too_long" | "too_common";

export function checkPassword(password: string): PasswordProblem | null {
  if (password.length < MIN_PASSWORD_LENGTH) return "too_short";
  if (password.length > 256) return "too_long";
  const lower = password.toLowerCase();
  if (FRENCH_COMMON.has(lower) || commonList.test(password) || commonList.test(lower)) return "too_common";
  return null;
}

export const PASSWORD_PROBLEM_LABELS: Record<PasswordProblem, string> = {
  too_short: `Le mot de passe doit contenir au moins ${MIN_PASSWORD_LENGTH} caractères.`,
  too_long: "Le mot de passe ne peut dépasser 256 caractères.",
  too_common: "Ce mot de passe figure parmi les plus courants : choisissez-en un autre.",
};
