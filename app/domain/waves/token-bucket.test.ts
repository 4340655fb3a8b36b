import { describe, expect, it } from "vitest";
import { TokenBucket } from "./token-bucket";

describe("token bucket", () => {
  it("spaces takes at the configured rate, whatever the number of callers", () => {
    let now = 0;
    const bucket = new TokenBucket(10, 1, () => now);
    const waits = Array.from({ length: 5 }, () => bucket.reserve());
    expect(waits).toEqual([0, 100, 200, 300, 400]);
    now = 1000; // idle time does not bank more than the burst
    expect(bucket.reserve()).toBe(0);
    expect(bucket.reserve()).toBe(100);
  });

  it("allows a burst, then the rate", () => {
    const bucket = new TokenBucket(10, 3, () => 0);
    expect(Array.from({ length: 5 }, () => bucket.reserve())).toEqual([0, 0, 0, 100, 200]);
  });

  it("is unlimited without a rate", () => {
    const bucket = new TokenBucket(null);
    expect(bucket.reserve()).toBe(0);
  });
});
