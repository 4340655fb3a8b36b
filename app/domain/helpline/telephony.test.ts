import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { caseTypeOfIvr } from "./case";
import { createSmsGateway, normaliseMobile } from "./sms-gateway.server";
import { listSmsOutbox } from "./sms-outbox.server";
import {
  departmentOfPostalCode,
  signTelephonyBody,
  telephonyCallSchema,
  verifyTelephonySignature,
} from "./telephony";

describe("telephony call notifications", () => {
  const secret = "s3cret-for-tests-0123456789abcdef";
  const now = new Date("2026-11-23T09:00:00Z");
  const ts = Math.floor(now.getTime() / 1000);

  it("accepts a signature within 5 minutes and refuses tampering, replays and missing headers", () => {
    const body = '{"caller_number":"0611223344","ivr_choice":"2","at":"2026-11-23T09:59:00+01:00"}';
    const sig = signTelephonyBody(secret, ts, body);
    expect(
      verifyTelephonySignature({ secret, timestamp: String(ts), signature: sig, rawBody: body, now }),
    ).toEqual({ ok: true });
    expect(
      verifyTelephonySignature({
        secret,
        timestamp: String(ts + 299),
        signature: signTelephonyBody(secret, ts + 299, body),
        rawBody: body,
        now,
      }).ok,
    ).toBe(true);
    expect(
      verifyTelephonySignature({
        secret,
        timestamp: String(ts + 301),
        signature: signTelephonyBody(secret, ts + 301, body),
        rawBody: body,
        now,
      }),
    ).toMatchObject({ ok: false });
    expect(
      verifyTelephonySignature({
        secret,
        timestamp: String(ts),
        signature: sig,
        rawBody: body.replace("2", "1"),
        now,
      }),
    ).toEqual({ ok: false, reason: "signature invalide" });
    expect(
      verifyTelephonySignature({ secret: "other", timestamp: String(ts), signature: sig, rawBody: body, now })
        .ok,
    ).toBe(false);
    expect(verifyTelephonySignature({ secret, timestamp: null, signature: sig, rawBody: body, now })).toEqual(
      { ok: false, reason: "en-têtes de signature absents" },
    );
  });

  it("validates the body with French messages naming the field", () => {
    const bad = telephonyCallSchema.safeParse({ caller_number: "abc", ivr_choice: "1", at: "hier" });
    expect(bad.success).toBe(false);
    expect(bad.error?.issues.map((i) => i.message)).toEqual([
      "caller_number : numéro de téléphone attendu",
      "at : date ISO 8601 avec fuseau attendue",
    ]);
  });

  it("maps IVR choices and postal codes", () => {
    expect(caseTypeOfIvr("1")).toBe("opposition");
    expect(caseTypeOfIvr(" 2 ")).toBe("code_reset");
    expect(caseTypeOfIvr("9")).toBe("other");
    expect(caseTypeOfIvr(null)).toBe("other");
    expect(departmentOfPostalCode("31000")).toBe("31");
    expect(departmentOfPostalCode("20000")).toBe("2A");
    expect(departmentOfPostalCode("20200")).toBe("2B");
    expect(departmentOfPostalCode("97110")).toBe("971");
    expect(departmentOfPostalCode("3100")).toBeNull();
  });
});

describe("SMS gateway", () => {
  it("normalises French mobile numbers only", () => {
    expect(normaliseMobile("+33 6 12 34 56 78")).toBe("+33612345678");
    expect(normaliseMobile("07.12.34.56.78")).toBe("+33712345678");
    expect(normaliseMobile("0033612345678")).toBe("+33612345678");
    expect(normaliseMobile("01 23 45 67 89")).toBeNull();
    expect(normaliseMobile("06 12")).toBeNull();
  });

  it("writes to the dev sink under <OUTBOX_DIR>/sms when no gateway is configured", async () => {
    const outboxDir = mkdtempSync(path.join(tmpdir(), "sms-sink-"));
    const gateway = createSmsGateway({ outboxDir, sms: { provider: "outbox" } });
    const sent = await gateway.send({
      to: "+33612345678",
      text: "Mon espace santé : test",
      idempotencyKey: "code-reset-7",
    });
    expect(sent.ok).toBe(true);
    const files = readdirSync(path.join(outboxDir, "sms"));
    expect(files).toHaveLength(1);
    expect(JSON.parse(readFileSync(path.join(outboxDir, "sms", files[0]), "utf8"))).toMatchObject({
      to: "+33612345678",
    });
    // What the Outbox page lists: the message, its cost, and nothing from a file that is not the sink's.
    writeFileSync(path.join(outboxDir, "sms", "zz-broken.json"), "{ half");
    expect(listSmsOutbox(outboxDir, 20)).toMatchObject({
      total: 2,
      messages: [{ to: "+33612345678", text: "Mon espace santé : test", parts: 1 }],
    });
  });
});
