import { describe, expect, it } from "vitest";
import { type SignatureScheme, signatureHeaders } from "../../app/domain/webhooks/signed-request";
import { verifySignedRequest } from "../../app/domain/webhooks/signed-request.server";
import { setupTestDatabase } from "../setup/database";

const t = setupTestDatabase();
const scheme: SignatureScheme = {
  timestampHeader: "X-Test-Timestamp",
  signatureHeader: "X-Test-Signature",
  prefix: "v1=",
};
const secret = "s3cret-for-tests-0123456789abcdef";
const body = '{"events":[{"id":"e-1"}]}';

describe("the one replay store of signed requests", () => {
  const now = new Date();
  const deps = { secret, now };
  const request = (headers: Record<string, string>, sender: "telephony" | "portal" = "telephony") => ({
    scheme,
    headers: new Headers(headers),
    rawBody: body,
    sender,
  });
  const seen = async () =>
    t.db.selectFrom("signed_request_seen").select(["sender", "signature_hash"]).orderBy("sender").execute();

  it("accepts a signed request once and refuses its exact replay, for every sender", async () => {
    const headers = signatureHeaders(scheme, secret, body, now);
    expect(await verifySignedRequest(t.db, deps, request(headers))).toEqual({ ok: true });
    expect(await verifySignedRequest(t.db, deps, request(headers))).toEqual({
      ok: false,
      problem: "replayed",
    });
    // The same signature from another sender is that sender's own.
    expect(await verifySignedRequest(t.db, deps, request(headers, "portal"))).toEqual({ ok: true });
    // Another second is another signature.
    const later = signatureHeaders(scheme, secret, body, new Date(now.getTime() + 1000));
    expect(await verifySignedRequest(t.db, deps, request(later))).toEqual({ ok: true });
    expect((await seen()).map((r) => r.sender)).toEqual(["portal", "telephony", "telephony"]);
  });

  it("lets one of many parallel replays through", async () => {
    const headers = signatureHeaders(scheme, secret, body, new Date(now.getTime() + 5000));
    const verdicts = await Promise.all(
      Array.from({ length: 20 }, () => verifySignedRequest(t.db, deps, request(headers))),
    );
    expect(verdicts.filter((v) => v.ok)).toHaveLength(1);
  });

  it("never stores an invalid request's signature", async () => {
    const before = (await seen()).length;
    const forged = signatureHeaders(scheme, "another-secret", body, now);
    expect(await verifySignedRequest(t.db, deps, request(forged))).toEqual({
      ok: false,
      problem: "bad_signature",
    });
    expect(await verifySignedRequest(t.db, deps, request({}))).toEqual({
      ok: false,
      problem: "missing_signature",
    });
    expect((await seen()).length).toBe(before);
  });
});
