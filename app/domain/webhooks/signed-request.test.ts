import { describe, expect, it } from "vitest";
import {
  checkSignedRequest,
  MAX_SKEW_SECONDS,
  type SignatureScheme,
  signatureHeaders,
  signBody,
} from "./signed-request";

const scheme: SignatureScheme = {
  timestampHeader: "X-Test-Timestamp",
  signatureHeader: "X-Test-Signature",
  prefix: "v1=",
};
const secret = "s3cret-for-tests-0123456789abcdef";
const body = '{"events":[{"id":"e-1"}]}';
const now = new Date("2026-11-23T09:00:00.250Z");
const ts = Math.floor(now.getTime() / 1000);

const check = (headers: { timestamp: string | null; signature: string | null }, raw = body, key = secret) =>
  checkSignedRequest(scheme, key, headers, raw, now);
const signedAt = (at: number, raw = body, key = secret) => ({
  timestamp: String(at),
  signature: signBody(scheme, key, at, raw),
});

describe("signed webhook requests", () => {
  it("accepts a valid signature and returns its timestamp and trimmed signature", () => {
    const headers = signedAt(ts);
    expect(check(headers)).toEqual({ ok: true, timestamp: ts, signature: headers.signature });
    expect(check({ ...headers, signature: ` ${headers.signature} ` })).toMatchObject({ ok: true });
    expect(headers.signature).toMatch(/^v1=[0-9a-f]{64}$/);
  });

  it("refuses a signature made with another secret", () => {
    expect(check(signedAt(ts, body, "another-secret"))).toEqual({ ok: false, problem: "bad_signature" });
  });

  it("refuses a tampered body and a re-dated timestamp", () => {
    expect(check(signedAt(ts), body.replace("e-1", "e-2"))).toEqual({ ok: false, problem: "bad_signature" });
    expect(check(signedAt(ts), `${body} `)).toEqual({ ok: false, problem: "bad_signature" });
    expect(check({ timestamp: String(ts - 1), signature: signedAt(ts).signature })).toEqual({
      ok: false,
      problem: "bad_signature",
    });
  });

  it("accepts up to five minutes either side and refuses beyond", () => {
    expect(check(signedAt(ts - MAX_SKEW_SECONDS + 1)).ok).toBe(true);
    expect(check(signedAt(ts + MAX_SKEW_SECONDS)).ok).toBe(true);
    expect(check(signedAt(ts - MAX_SKEW_SECONDS - 1))).toEqual({ ok: false, problem: "clock_skew" });
    expect(check(signedAt(ts - 3600))).toEqual({ ok: false, problem: "clock_skew" });
    expect(check(signedAt(ts + MAX_SKEW_SECONDS + 1))).toEqual({ ok: false, problem: "clock_skew" });
    expect(check(signedAt(ts + 86_400))).toEqual({ ok: false, problem: "clock_skew" });
  });

  it("refuses missing or malformed headers", () => {
    const good = signedAt(ts);
    expect(check({ timestamp: null, signature: good.signature })).toEqual({
      ok: false,
      problem: "missing_signature",
    });
    expect(check({ timestamp: good.timestamp, signature: null })).toEqual({
      ok: false,
      problem: "missing_signature",
    });
    expect(check({ timestamp: "", signature: "" })).toEqual({ ok: false, problem: "missing_signature" });
    for (const timestamp of ["12ab", "-1", "1.5", "1e9", "0x10", ` ${ts}`, "1234567890123"]) {
      expect(check({ timestamp, signature: good.signature })).toEqual({
        ok: false,
        problem: "bad_timestamp",
      });
    }
    for (const signature of [
      "v1=00",
      "sha256=" + good.signature.slice(3),
      good.signature.slice(3),
      "v1=zz",
    ]) {
      expect(check({ timestamp: good.timestamp, signature })).toEqual({
        ok: false,
        problem: "bad_signature",
      });
    }
  });

  it("signs with the scheme's headers and prefix", () => {
    const headers = signatureHeaders({ ...scheme, prefix: "sha256=" }, secret, body, now);
    expect(Object.keys(headers)).toEqual(["X-Test-Timestamp", "X-Test-Signature"]);
    expect(headers["X-Test-Timestamp"]).toBe(String(ts));
    expect(headers["X-Test-Signature"]).toMatch(/^sha256=[0-9a-f]{64}$/);
  });
});
