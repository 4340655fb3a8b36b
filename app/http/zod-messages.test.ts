import { describe, expect, it } from "vitest";
import { z } from "zod";
import { frenchZodMessages } from "./zod-messages";

function firstMessage(schema: z.ZodTypeAny, value: unknown): string | undefined {
  const parsed = schema.safeParse(value, { errorMap: frenchZodMessages });
  return parsed.success ? undefined : parsed.error.issues[0]?.message;
}

describe("French messages for rules without their own", () => {
  it("names a missing field, a wrong number, a bad choice and the bounds in French", () => {
    expect(firstMessage(z.object({ name: z.string() }), {})).toBe("Champ obligatoire.");
    expect(firstMessage(z.coerce.number(), "abc")).toBe("Nombre attendu.");
    expect(firstMessage(z.enum(["a", "b"]), "c")).toBe("Choix invalide.");
    expect(firstMessage(z.string().min(3), "ab")).toBe("Au moins 3 caractères.");
    expect(firstMessage(z.string().max(5), "abcdefgh")).toBe("5 caractères au plus.");
    expect(firstMessage(z.number().max(9), 12)).toBe("Valeur trop grande (maximum 9).");
    expect(firstMessage(z.string().email(), "x")).toBe("Format invalide.");
  });

  it("leaves a field's own message untouched", () => {
    expect(firstMessage(z.string().min(2, "Titre : obligatoire."), "")).toBe("Titre : obligatoire.");
  });
});
