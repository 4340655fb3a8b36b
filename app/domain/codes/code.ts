import { createHmac, randomBytes } from "node:crypto";

/**
 * Provisional codes (DESIGN §6): 13 symbols of an unambiguous 31-symbol alphabet (no 0/O/1/I/L), so
 * 31^13 ≈ 2^64.4 possibilities, printed as XXXX-XXXX-XXXXX. Only a keyed hash is ever stored.
 */
export const CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ";
export const CODE_LENGTH = 13;
export const CODE_GROUPS = [4, 4, 5] as const;

/** Bits of entropy of one code (≈ 64.4). */
export const CODE_ENTROPY_BITS = CODE_LENGTH * Math.log2(CODE_ALPHABET.length);

const ALPHABET_SIZE = CODE_ALPHABET.length; // 31
// Bytes ≥ 248 (= 8 × 31) are rejected so every symbol is equally likely (no modulo bias).
const REJECT_FROM = Math.floor(256 / ALPHABET_SIZE) * ALPHABET_SIZE;

/** Formats 13 raw symbols as XXXX-XXXX-XXXXX. */
export function formatCode(symbols: string): string {
  return `${symbols.slice(0, 4)}-${symbols.slice(4, 8)}-${symbols.slice(8, 13)}`;
}

/**
 * Generates `count` codes from one CSPRNG draw (randomBytes with rejection sampling): generating a
 * million codes this way costs a fraction of a second.
 */
export function generateCodes(count: number): string[] {
  const out: string[] = new Array(count);
  // ~3 % of bytes are rejected; draw a margin and refill when it runs out.
  let pool = randomBytes(Math.ceil(count * CODE_LENGTH * 1.05) + 64);
  let at = 0;
  for (let i = 0; i < count; i++) {
    let symbols = "";
    while (symbols.length < CODE_LENGTH) {
      if (at >= pool.length) {
        pool = randomBytes(4096);
        at = 0;
      }
      const byte = pool[at++];
      if (byte < REJECT_FROM) symbols += CODE_ALPHABET[byte % ALPHABET_SIZE];
    }
    out[i] = formatCode(symbols);
  }
  return out;
}

export function generateCode(): string {
  return generateCodes(1)[0];
}

/**
 * What a person typed, reduced to the 13 symbols: case, spaces and dashes ignored. Returns null when it
 * cannot be a code (wrong length or a symbol outside the alphabet, e.g. a confused O or I).
 */
export function normaliseCode(input: string): string | null {
  const symbols = input.toUpperCase().replace(/[\s\-_.]/g, "");
  if (symbols.length !== CODE_LENGTH) return null;
  for (const ch of symbols) if (!CODE_ALPHABET.includes(ch)) return null;
  return symbols;
}

/** The stored form: HMAC-SHA-256 (hex) of the normalised symbols under the code secret. */
export function hashCode(secret: string, code: string): string {
  const symbols = normaliseCode(code);
  // A malformed code still gets a hash (of its raw form) so callers never branch on the input's shape.
  return createHmac("sha256", secret)
    .update(symbols ?? code)
    .digest("hex");
}

/** A code shown to staff (previews): never a real one. */
export const SAMPLE_CODE = "ABCD-EFGH-JKMNP";
