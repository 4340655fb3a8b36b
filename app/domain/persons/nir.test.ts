import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { buildNir, checkNir, maskNir, type NirCheck, nirKey } from "./nir";

describe("NIR key", () => {
  it("computes 97 - (N mod 97)", () => {
    // 1 84 05 75 123 456 : N mod 97 = 1840575123456 mod 97
    const body = "1840575123456";
    expect(nirKey(body)).toBe(String(97n - (BigInt(body) % 97n)).padStart(2, "0"));
  });

  it("applies the Corsica rule (2A = 19, 2B = 18)", () => {
    const a = buildNir({ sex: 2, year: 90, month: 3, department: "2A", commune: 4, order: 12 });
    const b = buildNir({ sex: 1, year: 75, month: 11, department: "2B", commune: 33, order: 1 });
    expect(a.slice(5, 7)).toBe("2A");
    expect(checkNir(a).ok).toBe(true);
    expect(checkNir(b).ok).toBe(true);
    expect(nirKey(a.slice(0, 13))).toBe(
      String(97n - (BigInt(`${a.slice(0, 5)}19${a.slice(7, 13)}`) % 97n)).padStart(2, "0"),
    );
  });

  it("refuses a wrong key and says which was expected", () => {
    const nir = buildNir({ sex: 1, year: 84, month: 5, department: "75", commune: 123, order: 456 });
    const wrong = nir.slice(0, 13) + (nir.slice(13) === "00" ? "01" : "00");
    const r = checkNir(wrong);
    expect(r).toEqual({
      ok: false,
      problem: { kind: "key", expected: nir.slice(13), found: wrong.slice(13) },
    });
  });

  it("accepts spaces and lower-case Corsica codes, refuses bad months and lengths", () => {
    const nir = buildNir({ sex: 2, year: 1, month: 12, department: "2B", commune: 1, order: 1 });
    const spaced = `${nir.slice(0, 1)} ${nir.slice(1, 3)} ${nir.slice(3, 5)} ${nir.slice(5, 7).toLowerCase()} ${nir.slice(7)}`;
    expect(checkNir(spaced)).toEqual({ ok: true, nir });
    expect(checkNir("1841375123456").ok).toBe(false);
    expect(checkNir(`1841375123456${nirKey("1841375123456")}`)).toMatchObject({
      ok: false,
      problem: { kind: "month" },
    });
  });

  it("property: every built NIR is valid, and changing one digit breaks it", () => {
    fc.assert(
      fc.property(
        fc.constantFrom<1 | 2>(1, 2),
        fc.integer({ min: 0, max: 99 }),
        fc.integer({ min: 1, max: 12 }),
        fc.constantFrom("01", "13", "31", "44", "75", "80", "2A", "2B", "97"),
        fc.integer({ min: 1, max: 999 }),
        fc.integer({ min: 1, max: 999 }),
        fc.integer({ min: 7, max: 12 }),
        (sex, year, month, department, commune, order, pos) => {
          const nir = buildNir({ sex, year, month, department, commune, order });
          expect(checkNir(nir).ok).toBe(true);
          const digit = nir[pos];
          const changed = nir.slice(0, pos) + String((Number(digit) + 1) % 10) + nir.slice(pos + 1);
          expect(checkNir(changed).ok).toBe(false);
        },
      ),
    );
  });

  it("agrees with a straightforward reference (regular expressions, BigInt) on any input (property)", () => {
    // The NIR check as the DESIGN states it, written plainly: the fast check by char codes must match it.
    const reference = (input: string): NirCheck => {
      const nir = input.replace(/[\s.-]/g, "").toUpperCase();
      if (nir.length !== 15) return { ok: false, problem: { kind: "length", length: nir.length } };
      if (!/^\d{5}(\d{2}|2A|2B)\d{8}$/.test(nir)) return { ok: false, problem: { kind: "characters" } };
      if (!"123478".includes(nir[0])) return { ok: false, problem: { kind: "sex" } };
      const month = Number(nir.slice(3, 5));
      if (!((month >= 1 && month <= 12) || (month >= 20 && month <= 42) || month >= 50))
        return { ok: false, problem: { kind: "month", month: nir.slice(3, 5) } };
      const body = BigInt(
        nir
          .slice(0, 13)
          .replace(/^(.{5})2A/, "$119")
          .replace(/^(.{5})2B/, "$118"),
      );
      const expected = String(97n - (body % 97n)).padStart(2, "0");
      if (expected !== nir.slice(13))
        return { ok: false, problem: { kind: "key", expected, found: nir.slice(13) } };
      return { ok: true, nir };
    };
    const digit = fc.constantFrom(..."0123456789");
    const anyChar = fc.constantFrom(..."0123456789012345678901234567890123456789ABab2C .-\u00a0\t");
    const department = fc.constantFrom("2A", "2B", "2a", "2b", "2C", "20", "75", "97");
    // Well-formed bodies with their right key or any key, and strings of NIR-like characters.
    const built = fc
      .tuple(
        fc.constantFrom(..."0123456789"),
        fc.array(digit, { minLength: 4, maxLength: 4 }),
        department,
        fc.array(digit, { minLength: 6, maxLength: 6 }),
        fc.option(fc.array(digit, { minLength: 2, maxLength: 2 })),
      )
      .map(([sex, ym, dep, rest, key]) => {
        const body = `${sex}${ym.join("")}${dep}${rest.join("")}`;
        return body + (key ? key.join("") : (nirKey(body.toUpperCase()) ?? "00"));
      });
    const loose = fc.array(anyChar, { maxLength: 18 }).map((cs) => cs.join(""));
    fc.assert(
      fc.property(fc.oneof(built, loose), (input) => {
        expect(checkNir(input)).toEqual(reference(input));
      }),
      { numRuns: 20000 },
    );
  });

  it("masks all but sex, year, month and key", () => {
    const nir = buildNir({ sex: 1, year: 84, month: 5, department: "75", commune: 123, order: 456 });
    expect(maskNir(nir)).toBe(`1 84 05 ** *** *** ${nir.slice(13)}`);
  });
});
