/**
 * The NIRs already written by a roll's parse, as a Bloom filter over their identities (nirIdentity): a
 * NIR it has never been given is always reported new, and one it has been given is always reported seen;
 * a new NIR is reported seen by mistake with a small probability (about 1 in 6 000 for a filter sized for
 * the file, 4 probes). The parse lists the lines of the rows reported seen — every later duplicate among
 * them, plus a few strangers — so that SQL checks those NIRs only, instead of indexing every NIR of the
 * roll to prove there is no duplicate. Its size follows the file's (128 KB to 8 MB), whatever the rows.
 */
const PROBES = 4;
const MIN_BITS = 1 << 20;
const MAX_BITS = 1 << 26;

function mix(h: number): number {
  // MurmurHash3's finaliser: every input bit moves every output bit.
  let x = h;
  x ^= x >>> 16;
  x = Math.imul(x, 0x85ebca6b);
  x ^= x >>> 13;
  x = Math.imul(x, 0xc2b2ae35);
  x ^= x >>> 16;
  return x >>> 0;
}

export class SeenNirs {
  private readonly bits: Uint32Array;
  private readonly mask: number;

  /** `expectedRows`: an upper estimate of the rows (32 bits each, within 1 to 64 Mbit). */
  constructor(expectedRows: number) {
    let size = MIN_BITS;
    while (size < expectedRows * 32 && size < MAX_BITS) size *= 2;
    this.bits = new Uint32Array(size / 32);
    this.mask = size - 1;
  }

  /** Adds the NIR (its nirIdentity, an integer below 2^53); true when it may have been added before. */
  add(identity: number): boolean {
    const lo = identity >>> 0;
    const hi = Math.floor(identity / 4294967296) >>> 0;
    const h1 = mix(lo ^ mix(hi + 0x9e3779b9));
    const h2 = mix(hi ^ mix(lo + 0x7f4a7c15)) | 1;
    let seen = true;
    for (let i = 0; i < PROBES; i++) {
      const bit = (h1 + Math.imul(i, h2)) & this.mask;
      const word = bit >>> 5;
      const flag = 1 << (bit & 31);
      if ((this.bits[word] & flag) === 0) {
        seen = false;
        this.bits[word] |= flag;
      }
    }
    return seen;
  }
}
