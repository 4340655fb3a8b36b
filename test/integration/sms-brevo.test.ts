import { afterEach, describe, expect, it } from "vitest";
import { brevoSms, MAX_SMS_PARTS } from "../../app/domain/helpline/sms-brevo.server";
import { createSmsGateway } from "../../app/domain/helpline/sms-gateway.server";
import { mockServer } from "../mocks/server";
import {
  BREVO_API_KEY,
  BREVO_API_URL,
  resetSmsGateway,
  sentSms,
  smsGatewayFails,
} from "../mocks/sms-gateway";
import { testConfig } from "../setup/database";

const brevo = { apiUrl: BREVO_API_URL, apiKey: BREVO_API_KEY, sender: "AMELI" };
const message = { to: "+33612345678", text: "Mon espace santé : test", idempotencyKey: "code-reset-1" };

afterEach(() => {
  mockServer.resetHandlers();
  resetSmsGateway();
});

describe("Brevo transactional SMS", () => {
  it("is the gateway SMS_PROVIDER=brevo selects, and answers Brevo's messageId", async () => {
    const config = testConfig({ SMS_PROVIDER: "brevo", BREVO_API_URL, BREVO_API_KEY, SMS_SENDER: "CPAM31" });
    const sent = await createSmsGateway(config).send(message);
    expect(sent).toEqual({ ok: true, providerId: String(1511882900176220 + 1) });
    expect(sentSms[0].body.sender).toBe("CPAM31");
  });

  it("declares unicode only for a text outside the GSM alphabet", async () => {
    const gateway = brevoSms(brevo);
    await gateway.send(message);
    await gateway.send({ ...message, text: "Mon espace santé : à bientôt" });
    expect(sentSms.map((s) => s.body.unicodeEnabled)).toEqual([false, true]);
  });

  it("waits the x-sib-ratelimit-reset seconds after a 429, then sends", async () => {
    mockServer.use(...smsGatewayFails({ status: 429, rateLimitReset: "1" }, 1));
    const started = Date.now();
    const sent = await brevoSms(brevo, { backoffMs: 0 }).send(message);
    expect(sent.ok).toBe(true);
    expect(Date.now() - started).toBeGreaterThanOrEqual(950);
    expect(sentSms).toHaveLength(1);
  });

  it("leaves a refused key or exhausted credits to a later retry (an operator's problem, not the person's)", async () => {
    const wrongKey = await brevoSms({ ...brevo, apiKey: "xkeysib-wrong" }, { backoffMs: 0 }).send(message);
    expect(wrongKey).toEqual({ ok: false, permanent: false, reason: "Brevo : clé API Brevo refusée" });
    mockServer.use(...smsGatewayFails({ status: 402 }, 1));
    const broke = await brevoSms(brevo, { backoffMs: 0 }).send(message);
    expect(broke).toEqual({ ok: false, permanent: false, reason: "Brevo : crédits SMS Brevo épuisés" });
    expect(sentSms).toHaveLength(0);
  });

  it("refuses for good what Brevo refuses (400) and never quotes Brevo's message, which may hold the number", async () => {
    const sent = await brevoSms(brevo, { backoffMs: 0 }).send({ ...message, to: "+33" });
    expect(sent).toEqual({ ok: false, permanent: true, reason: "Brevo : HTTP 400 (invalid_parameter)" });
  });

  it("refuses a text longer than the parts it may bill, before calling Brevo", async () => {
    const long = "a".repeat(153 * MAX_SMS_PARTS + 1);
    const sent = await brevoSms(brevo).send({ ...message, text: long });
    expect(sent).toMatchObject({ ok: false, permanent: true });
    expect(sentSms).toHaveLength(0);
  });
});

describe("SMS environment", () => {
  it("refuses SMS_PROVIDER=brevo without a key, and the removed gateway variables, naming them", () => {
    expect(() => testConfig({ SMS_PROVIDER: "brevo" })).toThrow(/BREVO_API_KEY/);
    expect(() => testConfig({ SMS_GATEWAY_URL: "https://sms.example" })).toThrow(/SMS_GATEWAY_URL retirée/);
    expect(() => testConfig({ SMS_SENDER: "Assurance Maladie" })).toThrow(/SMS_SENDER/);
  });
});
