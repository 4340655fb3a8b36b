import { describe, expect, it } from "vitest";
import { SeenNirs } from "./seen-nirs";

/** Identities shaped like nirIdentity's: 13-digit integers. */
function identities(n: number, seed: number): number[] {
  let s = seed;
  const next = () => {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    return s;
  };
  return Array.from(
    { length: n },
    () => 1_000_000_000_000 + (next() % 1_000_000) * 1_000_000 + (next() % 1_000_000),
  );
}

describe("SeenNirs", () => {
  it("never reports a NIR it was given as new", () => {
    const seen = new SeenNirs(200_000);
    const ids = identities(200_000, 7);
    for (const id of ids) seen.add(id);
    expect(ids.filter((id) => !seen.add(id))).toEqual([]);
  });

  it("reports few new NIRs as seen when sized for the file", () => {
    const seen = new SeenNirs(200_000);
    const ids = [...new Set(identities(200_000, 11))];
    const mistaken = ids.filter((id) => seen.add(id)).length;
    // 32 bits a row, 4 probes: about 1 in 6 000.
    expect(mistaken).toBeLessThan(ids.length / 1000);
  });

  it("tells apart NIRs that differ only in their high or low digits", () => {
    const seen = new SeenNirs(10);
    expect(seen.add(1_840_531_555_001)).toBe(false);
    expect(seen.add(1_840_531_555_002)).toBe(false);
    expect(seen.add(2_840_531_555_001)).toBe(false);
    expect(seen.add(1_840_531_555_001)).toBe(true);
  });
});
