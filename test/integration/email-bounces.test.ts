import { createSign } from "node:crypto";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { sql } from "kysely";
import { HttpResponse, http } from "msw";
import { afterAll, beforeEach, describe, expect, it } from "vitest";
import { parseEnv } from "../../app/config/env.server";
import { createLogger } from "../../app/config/logger.server";
import { parseDsn } from "../../app/domain/waves/bounce-dsn.server";
import { readDsnMaildir } from "../../app/domain/waves/bounce-maildir.server";
import { snsStringToSign } from "../../app/domain/waves/bounce-sns.server";
import { listUnmatchedEmailEvents } from "../../app/domain/waves/email-events.server";
import { createEmailProvider } from "../../app/domain/waves/email-provider.server";
import { action as brevoAction } from "../../app/routes/api.email.events.brevo";
import { action as mailjetAction } from "../../app/routes/api.email.events.mailjet";
import { action as scalewayAction } from "../../app/routes/api.email.events.scaleway";
import { action as sesAction } from "../../app/routes/api.email.events.ses";
import { insertPersons } from "../factories";
import { mockServer } from "../mocks/server";
import { setupTestDatabase } from "../setup/database";
import { startSmtpRelay, TLS_CA_FILE } from "../support/smtp-relay";
import { activeCodesPerPerson, deps, runWave, scheduledWave, setupBoss, waveConfig } from "./waves-support";

const t = setupTestDatabase();
const harness = setupBoss(t);
const relay = await startSmtpRelay();
afterAll(() => relay.close());
beforeEach(() => relay.reset());

const FIXTURES = path.resolve("test/fixtures");
const CERT_PEM = readFileSync(path.join(FIXTURES, "tls/localhost-cert.pem"), "utf8");
const KEY_PEM = readFileSync(path.join(FIXTURES, "tls/localhost-key.pem"), "utf8");
const SES_TOPIC = "arn:aws:sns:eu-west-3:123456789012:mes-ops-ses-events";
const SCW_TOPIC = "arn:scw:sns:fr-par:project-0b7e4f1e:mes-ops-tem-events";
const SES_CERT_URL = "https://sns.eu-west-3.amazonaws.com/SimpleNotificationService-test0001.pem";
const SCW_CERT_URL = "https://sns.mnq.fr-par.scaleway.com/certs/SimpleNotificationService-test0001.pem";
const maildir = mkdtempSync(path.join(os.tmpdir(), "mes-ops-dsn-"));

const config = waveConfig({
  SMTP_URL: relay.url,
  SMTP_CA_FILE: TLS_CA_FILE,
  BREVO_WEBHOOK_TOKEN: "brevo-test-token-0123456789abcdef",
  MAILJET_WEBHOOK_USER: "mailjet",
  MAILJET_WEBHOOK_PASSWORD: "mailjet-test-password-0123456789",
  SES_SNS_TOPIC_ARNS: SES_TOPIC,
  SCALEWAY_SNS_TOPIC_ARNS: SCW_TOPIC,
  // The test certificate stands for Scaleway's CA: it is self-signed, so it issued itself.
  SCALEWAY_SNS_TRUST_CHAIN: path.join(FIXTURES, "tls/localhost-cert.pem"),
  DSN_MAILDIR: maildir,
});
const logger = createLogger({ level: "silent" });
// Read at call time: the database and boss exist only once the file's beforeAll has run.
const ctx = () => ({ db: t.db, boss: harness.boss, config, logger });
type Action = typeof brevoAction;
function call(action: Action, url: string, body: string, headers: Record<string, string> = {}) {
  const request = new Request(`http://localhost${url}`, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body,
  });
  return action({ request, context: ctx() as never, params: {} });
}

let offset = 0;
let deptNo = 70;
interface Sent {
  id: number;
  personId: number;
  messageId: string;
  email: string;
}
/** A wave of `count` email members, sent over real SMTP; their Message-IDs and addresses. */
async function sentWave(count: number): Promise<{ waveId: number; members: Sent[] }> {
  const dept = String(deptNo++);
  await insertPersons(t.db, { count, departments: [dept], emailShare: 1, offset, seed: offset + 11 });
  offset += count;
  const waveId = await scheduledWave(
    t.db,
    harness.boss,
    { departments: [dept] },
    { emailCapacityPerHour: 3_600_000 },
  );
  await runWave(
    t.db,
    deps(harness.boss, config, createEmailProvider(t.db, config, { sleep: async () => {} })),
    waveId,
  );
  const rows = await sql<{ id: number; person_id: number; provider_message_id: string; email: string }>`
    SELECT m.id::int, m.person_id::int, m.provider_message_id, p.email FROM wave_member m JOIN person p ON p.id = m.person_id
    WHERE m.wave_id = ${waveId} ORDER BY m.id
  `.execute(t.db);
  expect(rows.rows.every((r) => r.provider_message_id)).toBe(true);
  return {
    waveId,
    members: rows.rows.map((r) => ({
      id: r.id,
      personId: r.person_id,
      messageId: r.provider_message_id,
      email: r.email,
    })),
  };
}

function fixture(file: string, values: Record<string, string>): string {
  let text = readFileSync(path.join(FIXTURES, file), "utf8");
  for (const [k, v] of Object.entries(values)) text = text.replaceAll(`{{${k}}}`, v);
  return text;
}

async function member(id: number) {
  return t.db.selectFrom("wave_member").selectAll().where("id", "=", id).executeTakeFirstOrThrow();
}

describe("Brevo webhook", () => {
  const auth = { authorization: `Bearer ${config.bounces.brevo?.token}` };
  it("moves a hard bounce to a letter once; a replay and a late delivery change nothing", async () => {
    const { members } = await sentWave(2);
    const [a] = members;
    const bounce = fixture("brevo/webhook-hard-bounce.json", { MESSAGE_ID: a.messageId, RECIPIENT: a.email });
    const first = await call(brevoAction, "/api/email/events/brevo", bounce, auth);
    expect(first.status).toBe(200);
    expect(await first.json()).toMatchObject({ accepted: 1, fellBack: 1, unmatched: 0 });
    const replay = await call(brevoAction, "/api/email/events/brevo", bounce, auth);
    expect(await replay.json()).toMatchObject({ accepted: 0, duplicates: 1, fellBack: 0 });
    // Out of order: the delivery Brevo reported earlier arrives after the bounce.
    const delivered = fixture("brevo/webhook-delivered.json", {
      MESSAGE_ID: a.messageId,
      RECIPIENT: a.email,
    });
    expect(await (await call(brevoAction, "/api/email/events/brevo", delivered, auth)).json()).toMatchObject({
      accepted: 1,
      fellBack: 0,
    });
    expect(await member(a.id)).toMatchObject({ channel: "letter", status: "planned", delivered_at: null });
    expect((await activeCodesPerPerson(t.db, [a.personId])).size).toBe(0);
    const incidents = await t.db
      .selectFrom("wave_incident")
      .selectAll()
      .where("member_id", "=", a.id)
      .execute();
    expect(incidents.map((i) => i.kind)).toEqual(["email_bounced"]);
    const stored = await t.db.selectFrom("email_event").selectAll().where("member_id", "=", a.id).execute();
    expect(stored.map((e) => e.kind).sort()).toEqual(["delivered", "hard_bounce"]);
    expect(JSON.stringify(stored)).not.toContain(a.email);
  });

  it("refuses a wrong token, an oversized body and a malformed one", async () => {
    expect(
      (await call(brevoAction, "/api/email/events/brevo", "{}", { authorization: "Bearer nope" })).status,
    ).toBe(401);
    expect((await call(brevoAction, "/api/email/events/brevo", "{}")).status).toBe(401);
    const big = JSON.stringify({ event: "delivered", pad: "x".repeat(1100 * 1024) });
    expect((await call(brevoAction, "/api/email/events/brevo", big, auth)).status).toBe(413);
    const bad = await call(brevoAction, "/api/email/events/brevo", JSON.stringify({ email: "x" }), auth);
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ error: expect.stringContaining("corps") });
  });

  it("stores an event for an unknown message and reports it", async () => {
    const body = fixture("brevo/webhook-hard-bounce.json", {
      MESSAGE_ID: "someone-else-123@elsewhere.example",
      RECIPIENT: "inconnu@example.org",
    });
    expect(await (await call(brevoAction, "/api/email/events/brevo", body, auth)).json()).toMatchObject({
      accepted: 1,
      unmatched: 1,
    });
    const row = await t.db
      .selectFrom("email_event")
      .selectAll()
      .where("message_id", "=", "someone-else-123@elsewhere.example")
      .executeTakeFirstOrThrow();
    expect(row).toMatchObject({ matched: false, provider: "brevo", recipient_domain: "example.org" });
    const listed = await listUnmatchedEmailEvents(t.db);
    expect(listed.events.map((e) => e.messageId)).toContain("someone-else-123@elsewhere.example");
  });
});

describe("Mailjet webhook", () => {
  const basic = (user: string, password: string) => ({
    authorization: `Basic ${Buffer.from(`${user}:${password}`).toString("base64")}`,
  });
  it("applies a grouped delivery: hard bounce → letter, soft bounce recorded only, sent → delivered", async () => {
    const { members } = await sentWave(3);
    const [a, b, c] = members;
    const body = fixture("mailjet/events-grouped.json", {
      MESSAGE_ID: a.messageId,
      RECIPIENT: a.email,
      MESSAGE_ID_2: b.messageId,
      RECIPIENT_2: b.email,
      MESSAGE_ID_3: c.messageId,
      RECIPIENT_3: c.email,
    });
    const auth = basic("mailjet", "mailjet-test-password-0123456789");
    const res = await call(mailjetAction, "/api/email/events/mailjet", body, auth);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ accepted: 3, ignored: 1, fellBack: 1, unmatched: 0 });
    expect(await member(a.id)).toMatchObject({ channel: "letter" });
    expect(await member(b.id)).toMatchObject({ channel: "email", status: "sent", bounced_at: null });
    expect((await member(c.id)).delivered_at).not.toBeNull();
    expect(await (await call(mailjetAction, "/api/email/events/mailjet", body, auth)).json()).toMatchObject({
      accepted: 0,
      duplicates: 3,
    });
  });

  it("refuses wrong credentials", async () => {
    const res = await call(mailjetAction, "/api/email/events/mailjet", "[]", basic("mailjet", "wrong"));
    expect(res.status).toBe(401);
  });
});

/** An SNS envelope around `message`, signed like SNS does with the test key. */
function snsEnvelope(params: {
  topic: string;
  certUrl: string;
  message: string;
  type?: "Notification" | "SubscriptionConfirmation";
  version?: "1" | "2";
  messageId?: string;
  subscribeUrl?: string;
}) {
  const base = {
    Type: params.type ?? "Notification",
    MessageId: params.messageId ?? crypto.randomUUID(),
    TopicArn: params.topic,
    Message: params.message,
    Timestamp: new Date().toISOString(),
    SignatureVersion: params.version ?? "2",
    SigningCertURL: params.certUrl,
    ...(params.type === "SubscriptionConfirmation"
      ? { Token: "2336412f37fb687f5d51e6e2425c464de12884", SubscribeURL: params.subscribeUrl }
      : { UnsubscribeURL: `${new URL(params.certUrl).origin}/?Action=Unsubscribe` }),
  };
  const signer = createSign(base.SignatureVersion === "1" ? "RSA-SHA1" : "RSA-SHA256");
  signer.update(snsStringToSign(base as never));
  return { ...base, Signature: signer.sign(KEY_PEM, "base64") };
}

describe("Amazon SES through SNS", () => {
  let certFetches = 0;
  beforeEach(() => {
    certFetches = 0;
    mockServer.use(
      http.get(SES_CERT_URL, () => {
        certFetches++;
        return HttpResponse.text(CERT_PEM);
      }),
    );
  });

  it("confirms a subscription by visiting its SubscribeURL", async () => {
    let visited = false;
    const subscribeUrl = `https://sns.eu-west-3.amazonaws.com/?Action=ConfirmSubscription&TopicArn=${SES_TOPIC}&Token=abc`;
    mockServer.use(
      http.get("https://sns.eu-west-3.amazonaws.com/", () => {
        visited = true;
        return HttpResponse.xml("<ConfirmSubscriptionResponse/>");
      }),
    );
    const env = snsEnvelope({
      topic: SES_TOPIC,
      certUrl: SES_CERT_URL,
      type: "SubscriptionConfirmation",
      message: `You have chosen to subscribe to the topic ${SES_TOPIC}.`,
      subscribeUrl,
    });
    const res = await call(sesAction, "/api/email/events/ses", JSON.stringify(env));
    expect(res.status).toBe(200);
    expect(visited).toBe(true);
  });

  it("applies a bounce (v1 and v2 signatures), matching by our Message-ID; a retry is a duplicate", async () => {
    const { members } = await sentWave(2);
    const [a, b] = members;
    const bounce = fixture("ses/bounce-notification.json", {
      MESSAGE_ID: a.messageId,
      RECIPIENT: a.email,
      SERVER_MESSAGE_ID: "0107018c2e4f1a2b-11111111-2222-3333-4444-555555555555-000000",
    });
    const env = snsEnvelope({ topic: SES_TOPIC, certUrl: SES_CERT_URL, message: bounce, version: "1" });
    const res = await call(sesAction, "/api/email/events/ses", JSON.stringify(env));
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ accepted: 1, fellBack: 1 });
    expect(await (await call(sesAction, "/api/email/events/ses", JSON.stringify(env))).json()).toMatchObject({
      duplicates: 1,
    });
    expect(await member(a.id)).toMatchObject({ channel: "letter" });
    // A complaint (headers truncated): recorded with an incident, no letter.
    const complaint = fixture("ses/complaint-notification.json", {
      MESSAGE_ID: b.messageId,
      RECIPIENT: b.email,
      SERVER_MESSAGE_ID: "0107018c2e4f1a2b-66666666-7777-8888-9999-000000000000-000000",
    });
    const env2 = snsEnvelope({ topic: SES_TOPIC, certUrl: SES_CERT_URL, message: complaint });
    expect(await (await call(sesAction, "/api/email/events/ses", JSON.stringify(env2))).json()).toMatchObject(
      {
        accepted: 1,
        fellBack: 0,
      },
    );
    expect(await member(b.id)).toMatchObject({ channel: "email" });
    const incidents = await t.db
      .selectFrom("wave_incident")
      .select("kind")
      .where("member_id", "=", b.id)
      .execute();
    expect(incidents.map((i) => i.kind)).toEqual(["email_complaint"]);
    // The certificate was downloaded once, then taken from the cache.
    expect(certFetches).toBeLessThanOrEqual(1);
  });

  it("refuses a tampered message, a foreign certificate host and a topic not configured", async () => {
    const env = snsEnvelope({ topic: SES_TOPIC, certUrl: SES_CERT_URL, message: "{}" });
    const tampered = { ...env, Message: '{"notificationType":"Bounce"}' };
    expect((await call(sesAction, "/api/email/events/ses", JSON.stringify(tampered))).status).toBe(401);
    const foreign = snsEnvelope({
      topic: SES_TOPIC,
      certUrl: "https://sns.evil.example.com/cert.pem",
      message: "{}",
    });
    expect((await call(sesAction, "/api/email/events/ses", JSON.stringify(foreign))).status).toBe(401);
    const http_ = snsEnvelope({
      topic: SES_TOPIC,
      certUrl: SES_CERT_URL.replace("https:", "http:"),
      message: "{}",
    });
    expect((await call(sesAction, "/api/email/events/ses", JSON.stringify(http_))).status).toBe(401);
    const otherTopic = snsEnvelope({ topic: `${SES_TOPIC}-other`, certUrl: SES_CERT_URL, message: "{}" });
    expect((await call(sesAction, "/api/email/events/ses", JSON.stringify(otherTopic))).status).toBe(403);
  });
});

describe("Scaleway TEM through Topics and Events", () => {
  beforeEach(() => {
    mockServer.use(http.get(SCW_CERT_URL, () => HttpResponse.text(CERT_PEM)));
  });

  it("applies an email_dropped, its certificate checked against the trust chain", async () => {
    const { members } = await sentWave(1);
    const [a] = members;
    const event = fixture("scaleway/email-dropped.json", {
      MESSAGE_ID: a.messageId,
      RECIPIENT: a.email,
      SERVER_MESSAGE_ID: "9f6d1c2e-3b4a-4c5d-8e9f-112233445566",
    });
    const env = snsEnvelope({ topic: SCW_TOPIC, certUrl: SCW_CERT_URL, message: event });
    const res = await call(scalewayAction, "/api/email/events/scaleway", JSON.stringify(env));
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ accepted: 1, fellBack: 1 });
    expect(await member(a.id)).toMatchObject({ channel: "letter" });
  });

  it("refuses a signing certificate the trust chain did not issue", async () => {
    const { generateKeyPairSync } = await import("node:crypto");
    const other = generateKeyPairSync("rsa", { modulusLength: 2048 });
    const url = SCW_CERT_URL.replace("test0001", "test0002");
    // A certificate of another issuer: the SMTP relay's CA file is the same self-signed one, so use a
    // mismatching key instead — its signature cannot verify under the served certificate.
    mockServer.use(http.get(url, () => HttpResponse.text(CERT_PEM)));
    const env = snsEnvelope({ topic: SCW_TOPIC, certUrl: url, message: "{}" });
    const signer = createSign("RSA-SHA256");
    signer.update(snsStringToSign(env as never));
    const forged = { ...env, Signature: signer.sign(other.privateKey, "base64") };
    expect((await call(scalewayAction, "/api/email/events/scaleway", JSON.stringify(forged))).status).toBe(
      401,
    );
  });
});

describe("DSN mailbox", () => {
  it("parses a Postfix RFC 3464 report", async () => {
    const raw = fixture("dsn/postfix-hard-bounce.eml", {
      MESSAGE_ID: "mes-ops-notif-1-abc@info.ameli.fr",
      RECIPIENT: "jeanne.martin@example.org",
    });
    const parsed = await parseDsn(raw);
    expect(parsed).toMatchObject({
      ok: true,
      events: [
        {
          kind: "hard_bounce",
          provider: "dsn",
          messageId: "mes-ops-notif-1-abc@info.ameli.fr",
          recipient: "jeanne.martin@example.org",
        },
      ],
    });
    if (parsed.ok) expect(parsed.events[0].detail).not.toContain("jeanne.martin");
  });

  it("reads new/, applies the bounces, moves read files to cur/ and unreadable ones to error/", async () => {
    const { members } = await sentWave(1);
    const [a] = members;
    mkdirSync(path.join(maildir, "new"), { recursive: true });
    const raw = fixture("dsn/postfix-hard-bounce.eml", { MESSAGE_ID: a.messageId, RECIPIENT: a.email });
    writeFileSync(path.join(maildir, "new", "1796634843.M1P1.relay"), raw);
    writeFileSync(
      path.join(maildir, "new", "1796634844.M2P1.relay"),
      "Subject: hello\r\n\r\nnot a report\r\n",
    );
    const run = await readDsnMaildir(t.db, { boss: harness.boss }, { dir: maildir });
    expect(run).toMatchObject({ files: 2, unreadable: 1, accepted: 1, fellBack: 1 });
    expect(readdirSync(path.join(maildir, "new"))).toEqual([]);
    expect(readdirSync(path.join(maildir, "cur"))).toEqual(["1796634843.M1P1.relay:2,S"]);
    expect(readdirSync(path.join(maildir, "error"))).toEqual(["1796634844.M2P1.relay"]);
    expect(await member(a.id)).toMatchObject({ channel: "letter" });
    // The same report delivered twice (a relay retry) changes nothing.
    writeFileSync(path.join(maildir, "new", "1796634850.M3P1.relay"), raw);
    expect(await readDsnMaildir(t.db, { boss: harness.boss }, { dir: maildir })).toMatchObject({
      duplicates: 1,
      fellBack: 0,
    });
  });
});

describe("configuration", () => {
  it("refuses the removed EMAIL_WEBHOOK_SECRET, naming what replaced it", () => {
    expect(() => parseEnv({ NODE_ENV: "test", EMAIL_WEBHOOK_SECRET: "x" })).toThrow(/BREVO_WEBHOOK_TOKEN/);
  });
  it("answers 404 for a provider that is not configured", async () => {
    const bare = { ...ctx(), config: waveConfig() };
    const request = new Request("http://localhost/api/email/events/ses", { method: "POST", body: "{}" });
    const res = await sesAction({ request, context: bare as never, params: {} });
    expect(res.status).toBe(404);
  });
});
