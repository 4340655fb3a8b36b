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

  it("keeps ordinary text", () => {
    expect(scrubText("vague 12 : 5000 lettres")).toBe("vague 12 : 5000 lettres");
  });
});
