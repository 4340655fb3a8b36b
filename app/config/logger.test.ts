import { Writable } from "node:stream";
import { describe, expect, it } from "vitest";
import { createLogger, scrubText } from "./logger.server";

function capture() {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk, _enc, cb) {
      lines.push(chunk.toString());
      cb();
    },
  });
  return { logger: createLogger({ level: "info", destination }), lines };
}

describe("logger redaction", () => {
  it("censors personal fields wherever they are", () => {
    const { logger, lines } = capture();
    logger.info(
      {
        nir: "184057512345678",
        person: { email: "jean@exemple.fr", phone: "+33612345678", code: "ABCD-EFGH-JKMN" },
      },
      "x",
    );
    const out = lines.join("");
    expect(out).not.toContain("184057512345678");
    expect(out).not.toContain("jean@exemple.fr");
    expect(out).not.toContain("+33612345678");
    expect(out).not.toContain("ABCD-EFGH-JKMN");
    expect(out).toContain("[redacted]");
  });

  it("scrubs NIRs, emails, phones and codes from free text and messages", () => {
    const { logger, lines } = capture();
    logger.info(
      "appel de jean.dupont@exemple.fr au 06 12 34 56 78 pour le NIR 2 84 05 2A 123 456 78, code ABCD-EFGH-JKMN",
    );
    const out = lines.join("");
    expect(out).not.toMatch(/jean\.dupont|06 12 34 56 78|2 84 05 2A 123 456|ABCD-EFGH-JKMN/);
    expect(scrubText("NIR 184057512345678")).toBe("NIR [nir]");
  });

  it("keeps a logged error's class, message and stack, the NIR it quotes scrubbed", () => {
    class RollRefused extends Error {
      constructor(message: string) {
        super(message);
        this.name = "RollRefused";
      }
    }
    const { logger, lines } = capture();
    const error = new RollRefused("ligne 3 : NIR 184057512345678 déjà présent");
    logger.error({ err: error, rollId: 7 }, "import refusé");
    logger.error(error);
    const [withObject, alone] = lines.map((l) => JSON.parse(l));
    for (const entry of [withObject, alone]) {
      expect(entry.err.type).toBe("RollRefused");
      expect(entry.err.message).toBe("ligne 3 : NIR [nir] déjà présent");
      expect(entry.err.stack).toMatch(/^RollRefused: ligne 3 : NIR \[nir\] déjà présent\n\s+at /);
      expect(entry.err).not.toHaveProperty("name");
    }
    expect(withObject).toMatchObject({ msg: "import refusé", rollId: 7 });
    // Without a message of its own, the line takes the error's, scrubbed too.
    expect(alone.msg).toBe("ligne 3 : NIR [nir] déjà présent");
    expect(lines.join("")).not.toContain("184057512345678");
  });

  it("censors a logged error's personal fields and serializes one in a child's bindings", () => {
    const { logger, lines } = capture();
    const error = Object.assign(new TypeError("adresse jean@exemple.fr refusée"), {
      email: "jean@exemple.fr",
      status: 422,
    });
    logger.child({ err: error }).warn("envoi");
    const entry = JSON.parse(lines[0]);
    expect(entry.err).toMatchObject({ type: "TypeError", message: "adresse [email] refusée", status: 422 });
    expect(entry.err.email).toBe("[redacted]");
    expect(entry.err.stack).toContain("TypeError: adresse [email] refusée");
    expect(lines[0]).not.toContain("jean@exemple.fr");
  });

  it("keeps ordinary text", () => {
    expect(scrubText("vague 12 : 5000 lettres")).toBe("vague 12 : 5000 lettres");
  });
});
