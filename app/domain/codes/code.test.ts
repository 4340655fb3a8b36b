import { createHmac } from "node:crypto";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { scrubText } from "../../config/logger.server";
import {
  CODE_ALPHABET,
  CODE_ENTROPY_BITS,
  generateCode,
  generateCodes,
  generateHashedCodes,
  HASH_BYTES,
  hashCode,
  normaliseCode,
} from "./code";

describe("provisional code", () => {
  it("uses 31 unambiguous symbols and ≥ 64 bits", () => {
    expect(CODE_ALPHABET).toHaveLength(31);
    for (const ch of "0O1IL") expect(CODE_ALPHABET).not.toContain(ch);
    expect(CODE_ENTROPY_BITS).toBeGreaterThanOrEqual(64);
  });

  it("is formatted XXXX-XXXX-XXXXX and scrubbed by the logger", () => {
    const code = generateCode();
    expect(code).toMatch(/^[2-9A-HJKMNP-Z]{4}-[2-9A-HJKMNP-Z]{4}-[2-9A-HJKMNP-Z]{5}$/);
    expect(scrubText(`code ${code} sent`)).toBe("code [code] sent");
  });

  it("spreads symbols evenly (no modulo bias)", () => {
    const counts = new Map<string, number>();
    for (const code of generateCodes(20_000)) {
      for (const ch of code.replaceAll("-", "")) counts.set(ch, (counts.get(ch) ?? 0) + 1);
    }
    const expected = (20_000 * 13) / 31;
    for (const ch of CODE_ALPHABET)
      expect(Math.abs((counts.get(ch) ?? 0) - expected) / expected).toBeLessThan(0.06);
  });

  it("does not repeat over many draws", () => {
    const codes = generateCodes(100_000);
    expect(new Set(codes).size).toBe(codes.length);
  });

  it("normalises case, spaces and dashes, and refuses ambiguous symbols", () => {
    expect(normaliseCode("abcd efgh-jkmnp")).toBe("ABCDEFGHJKMNP");
    expect(normaliseCode(" ABCD-EFGH-JKMNP ")).toBe("ABCDEFGHJKMNP");
    expect(normaliseCode("ABCD-EFGH-JKMN")).toBeNull();
    expect(normaliseCode("ABCD-EFGH-JKMN0")).toBeNull();
    expect(normaliseCode("ABCD-EFGH-JKMNI")).toBeNull();
  });

  it("hashes the normalised form with the secret (HMAC-SHA-256 hex)", () => {
    fc.assert(
      fc.property(fc.constantFrom(...generateCodes(50)), (code) => {
        const h = hashCode("s1", code);
        expect(h).toMatch(/^[0-9a-f]{64}$/);
        expect(hashCode("s1", code.toLowerCase().replaceAll("-", " "))).toBe(h);
        expect(hashCode("s2", code)).not.toBe(h);
      }),
    );
  });

  it("issues codes with the very hash a typed code is checked against, whatever the secret", () => {
    fc.assert(
      fc.property(
        fc.string({ minLength: 1, maxLength: 80 }),
        fc.integer({ min: 1, max: 40 }),
        (secret, n) => {
          const { clear, hashes } = generateHashedCodes(secret, n);
          expect(clear).toHaveLength(n);
          expect(hashes).toHaveLength(n * HASH_BYTES);
          clear.forEach((code, i) => {
            expect(code).toMatch(/^[2-9A-HJKMNP-Z]{4}-[2-9A-HJKMNP-Z]{4}-[2-9A-HJKMNP-Z]{5}$/);
            const hash = hashes.subarray(i * HASH_BYTES, (i + 1) * HASH_BYTES).toString("hex");
            expect(hash).toBe(hashCode(secret, code.toLowerCase()));
            // Independent of our helpers: HMAC-SHA-256 of the 13 symbols under the secret.
            expect(hash).toBe(createHmac("sha256", secret).update(code.replaceAll("-", "")).digest("hex"));
          });
        },
      ),
      { numRuns: 50 },
    );
  });
});
