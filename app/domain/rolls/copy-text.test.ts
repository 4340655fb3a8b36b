import fc from "fast-check";
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

  it("matches the reference on random strings, ASCII runs and all (property)", () => {
    const unit = fc.constantFrom(
      ..."aZ -'.09",
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
      "\u0007",
      "\u007f",
      "\u0080",
    );
    const field = fc.option(
      fc.array(unit, { maxLength: 12 }).map((units) => units.join("")),
      { freq: 10 },
    );
    fc.assert(
      fc.property(fc.array(field, { minLength: 1, maxLength: 5 }), (fields) => {
        expect(written(fields, 8)).toEqual(reference(fields));
      }),
      { numRuns: 2000 },
    );
  });

  it("writes integers as String() does", () => {
    const w = new CopyTextWriter(4);
    const values = [0, -0, 7, 10, 99, 100, 123456789, 2147483647, 2147483648, 1e21, -5, 1.5, Number.NaN];
    for (const n of values) w.int(n).tab();
    expect(new TextDecoder().decode(w.take())).toBe(values.map((n) => `${String(n)}\t`).join(""));
    fc.assert(
      fc.property(fc.oneof(fc.nat(), fc.integer(), fc.double()), (n) => {
        expect(new TextDecoder().decode(new CopyTextWriter(2).int(n).take())).toBe(String(n));
      }),
    );
  });
});
