import { createHmac, createSecretKey, type KeyObject, randomBytes } from "node:crypto";
import { hmacSha256Many } from "./hmac-batch";

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

/**
 * Draws `count` codes as 13 raw symbols each, back to back in one ASCII buffer, from one CSPRNG draw
 * (randomBytes with rejection sampling): no string is built per symbol, so a million codes cost ~0.2 s.
 */
function drawSymbols(count: number): Buffer {
  const out = Buffer.allocUnsafe(count * CODE_LENGTH);
  // ~3 % of bytes are rejected; draw a margin and refill when it runs out.
  let pool = randomBytes(Math.ceil(count * CODE_LENGTH * 1.05) + 64);
  let at = 0;
  for (let i = 0; i < out.length; ) {
    if (at >= pool.length) {
      pool = randomBytes(4096);
      at = 0;
    }
    const byte = pool[at++];
    if (byte < REJECT_FROM) out[i++] = ALPHABET_BYTES[byte % ALPHABET_SIZE];
  }
  return out;
}

const ALPHABET_BYTES = Buffer.from(CODE_ALPHABET, "latin1");
/** XXXX-XXXX-XXXXX: 13 symbols and 2 dashes. */
const PRINTED_LENGTH = CODE_LENGTH + CODE_GROUPS.length - 1;
const DASH = "-".charCodeAt(0);

/**
 * The printed codes, laid out with their dashes in one buffer and read back as one string: each code is
 * then one slice of it (formatting each code from its own slices made four strings per code).
 */
function printable(symbols: Buffer, count: number): string[] {
  const laid = Buffer.allocUnsafe(count * PRINTED_LENGTH);
  for (let i = 0; i < count; i++) {
    let at = i * PRINTED_LENGTH;
    let from = i * CODE_LENGTH;
    CODE_GROUPS.forEach((size, g) => {
      if (g > 0) laid[at++] = DASH;
      symbols.copy(laid, at, from, from + size);
      at += size;
      from += size;
    });
  }
  const all = laid.toString("latin1");
  const out: string[] = new Array(count);
  for (let i = 0; i < count; i++) out[i] = all.slice(i * PRINTED_LENGTH, (i + 1) * PRINTED_LENGTH);
  return out;
}

/** Generates `count` printable codes (XXXX-XXXX-XXXXX). */
export function generateCodes(count: number): string[] {
  return printable(drawSymbols(count), count);
}

/** Bytes of one stored hash (HMAC-SHA-256). */
export const HASH_BYTES = 32;

/**
 * Generates `count` codes with their stored hashes: `hashes` holds the HMAC-SHA-256 digests back to back,
 * `HASH_BYTES` each, in the order of `clear` (the database stores each as 64 hex digits). Each hash is taken
 * on the raw symbols just drawn, which is what `hashCode` computes after normalising the printed form, and
 * all of them in one pass over one buffer (`hmacSha256Many`): no string, buffer or HMAC object per code.
 */
export function generateHashedCodes(secret: string, count: number): { clear: string[]; hashes: Buffer } {
  const symbols = drawSymbols(count);
  const hashes = hmacSha256Many(Buffer.from(secret, "utf8"), symbols, CODE_LENGTH, count);
  return { clear: printable(symbols, count), hashes };
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
  return hmacHex(secret, symbols ?? code);
}

function hmacHex(secret: string, symbols: string): string {
  return createHmac("sha256", hmacKey(secret)).update(symbols).digest("hex");
}

// The secret as a KeyObject, prepared once: passing the string re-imports the key on every HMAC (~30 %).
let prepared: { secret: string; key: KeyObject } | null = null;
function hmacKey(secret: string): KeyObject {
  if (prepared?.secret !== secret) prepared = { secret, key: createSecretKey(Buffer.from(secret, "utf8")) };
  return prepared.key;
}

/** A code shown to staff (previews): never a real one. */
export const SAMPLE_CODE = "ABCD-EFGH-JKMNP";
