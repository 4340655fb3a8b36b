import { describe, expect, it } from "vitest";
import { CopyTextWriter } from "./copy-text";

/** The reference: escape as COPY text, then TextEncoder. */
function reference(fields: Array<string | null>): Uint8Array {
  const esc = (s: string) =>
    s.replace(/[\\\t\n\r]/g, (c) => (c === "\\" ? "\\\\" : c === "\t" ? "\\t" : c === "\n" ? "\\n" : "\\r"));
  return new TextEncoder().encode(`${fields.map((f) => (f === null ? "\\N" : esc(f))).join("\t")}\n`);
}

function written(fields: Array<string | null>, capacity?: number): Uint8Array {
  const w = new CopyTextWriter(capacity);
  fields.forEach((f, i) => {
    if (i > 0) w.tab();
    w.nullable(f);
  });
  return w.endRow().take();
}

describe("CopyTextWriter", () => {
  it("writes what escaping then TextEncoder would, for every kind of character", () => {
    const fields = [
      "Lefèvre",
      "Łukasiewicz Přemysl Şahin Nguyễn Đức",
      "a\tb\nc\rd\\e",
      "emoji 😀 and 𝄞",
      "lone \ud800 high, lone \udc00 low, high at end \ud83d",
      "",
      null,
      "œ Œ € ß",
    ];
    expect(written(fields)).toEqual(reference(fields));
  });

  it("grows past its initial capacity and starts over after take()", () => {
    const long = "é".repeat(5000);
    const w = new CopyTextWriter(16);
    w.field(long).endRow();
    expect(w.take()).toEqual(reference([long]));
    expect(w.length).toBe(0);
    w.int(42).tab().raw("2A").endRow();
    expect(new TextDecoder().decode(w.take())).toBe("42\t2A\n");
  });

  it("matches the reference on random strings (property)", () => {
    let seed = 7;
    const rand = () => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed / 0x7fffffff;
    };
    const alphabet = [
      "a",
      "Z",
      " ",
      "\t",
      "\n",
      "\r",
      "\\",
      "é",
      "ễ",
      "😀",
      "\ud800",
      "\udfff",
      "€",
      "\u0000",
    ];
    for (let n = 0; n < 500; n++) {
      const fields = Array.from({ length: 1 + Math.floor(rand() * 5) }, () =>
        rand() < 0.1
          ? null
          : Array.from(
              { length: Math.floor(rand() * 12) },
              () => alphabet[Math.floor(rand() * alphabet.length)],
            ).join(""),
      );
      expect(written(fields, 8)).toEqual(reference(fields));
    }
  });
});
