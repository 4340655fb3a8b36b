import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createEmailProvider, EmailTransientError } from "../../app/domain/waves/email-provider.server";
import { setupTestDatabase, testConfig } from "../setup/database";
import { type SmtpRelay, startSmtpRelay, TLS_CA_FILE } from "../support/smtp-relay";

const t = setupTestDatabase();
let relay: SmtpRelay;
const noSleep = { sleep: async () => {} };

beforeAll(async () => {
  relay = await startSmtpRelay({ auth: { user: "mes-ops", pass: "s3cret" } });
});
afterAll(() => relay.close());
beforeEach(() => relay.reset());

// A generous timeout: under a loaded machine a slow reply must not read as a dropped one (the hang test sets 1 s).
const config = (vars: Record<string, string> = {}) =>
  testConfig({ SMTP_URL: relay.url, SMTP_CA_FILE: TLS_CA_FILE, SMTP_TIMEOUT_SECONDS: "15", ...vars });

let n = 0;
const email = (to = "jeanne.martin@exemple.fr") => ({
  idempotencyKey: `mes-ops-notif-${++n}-7`,
  to,
  subject: "Mon espace santé : votre code provisoire",
  html: "<p>Votre code : <strong>ABCD-EFGH</strong></p>",
  text: "Votre code : ABCD-EFGH",
});

async function ledger(key: string) {
  return t.db.selectFrom("email_submission").selectAll().where("key", "=", key).executeTakeFirst();
}

describe("SMTP submission (a real SMTP server)", () => {
  it("sends a notice with a deterministic Message-ID, HTML and text parts, and no List-Unsubscribe", async () => {
    const provider = createEmailProvider(t.db, config(), noSleep);
    const message = email();
    const result = await provider.send(message);
    await provider.close?.();
    const messageId = `${message.idempotencyKey}@info.ameli.fr`;
    expect(result).toMatchObject({ kind: "accepted", messageId, duplicate: false });
    expect(relay.received).toHaveLength(1);
    const got = relay.received[0];
    expect(got.from).toBe("assurance-maladie@info.ameli.fr");
    expect(got.to).toEqual(["jeanne.martin@exemple.fr"]);
    expect(got.parsed.messageId).toBe(`<${messageId}>`);
    expect(got.parsed.headers.get("x-mj-customid")).toBe(messageId);
    expect(got.parsed.headers.get("auto-submitted")).toBe("auto-generated");
    expect(got.parsed.headers.has("list-unsubscribe")).toBe(false);
    expect(got.parsed.from?.value).toEqual([
      { name: "Assurance Maladie", address: "assurance-maladie@info.ameli.fr" },
    ]);
    expect(got.parsed.subject).toBe("Mon espace santé : votre code provisoire");
    expect(got.parsed.text?.trim()).toBe("Votre code : ABCD-EFGH");
    expect(got.parsed.html).toContain("<strong>ABCD-EFGH</strong>");
    expect(await ledger(message.idempotencyKey)).toMatchObject({ state: "accepted", message_id: messageId });
    // The same key again is answered by the ledger: nothing goes to the relay twice.
    const again = createEmailProvider(t.db, config(), noSleep);
    expect(await again.send(message)).toMatchObject({ kind: "accepted", duplicate: true, messageId });
    await again.close?.();
    expect(relay.received).toHaveLength(1);
  });

  it("pools connections: at most SMTP_MAX_CONNECTIONS at once, SMTP_MAX_MESSAGES each", async () => {
    const provider = createEmailProvider(
      t.db,
      config({ SMTP_MAX_CONNECTIONS: "2", SMTP_MAX_MESSAGES: "5" }),
      noSleep,
    );
    const results = await Promise.all(Array.from({ length: 20 }, () => provider.send(email())));
    await provider.close?.();
    expect(results.every((r) => r.kind === "accepted")).toBe(true);
    expect(relay.received).toHaveLength(20);
    expect(relay.connections.size).toBe(4);
    expect([...relay.connections.values()].every((m) => m === 5)).toBe(true);
  });

  it("retries a 4xx (greylisting) and sends once", async () => {
    relay.fail("greylist", { times: 2 });
    const provider = createEmailProvider(t.db, config(), noSleep);
    expect((await provider.send(email())).kind).toBe("accepted");
    await provider.close?.();
    expect(relay.received).toHaveLength(1);
  });

  it("a 5xx on the recipient is a permanent refusal (the caller falls back to a letter)", async () => {
    relay.fail("no_mailbox", { recipient: "personne@exemple.fr" });
    const provider = createEmailProvider(t.db, config(), noSleep);
    const message = email("personne@exemple.fr");
    expect(await provider.send(message)).toMatchObject({ kind: "rejected", reason: "invalid_address" });
    await provider.close?.();
    expect(relay.received).toHaveLength(0);
    expect(await ledger(message.idempotencyKey)).toMatchObject({ state: "refused" });
  });

  it("a refused sender stalls the send (transient), never a refusal of the person; nothing is left in the ledger", async () => {
    relay.fail("sender_refused", { times: 10 });
    const provider = createEmailProvider(t.db, config(), noSleep);
    const message = email();
    await expect(provider.send(message)).rejects.toBeInstanceOf(EmailTransientError);
    await provider.close?.();
    expect(await ledger(message.idempotencyKey)).toBeUndefined();
  });

  it("a connection dropped after DATA is unknown: recorded as such, and never sent again", async () => {
    relay.fail("drop_after_data");
    const provider = createEmailProvider(t.db, config(), noSleep);
    const message = email();
    expect(await provider.send(message)).toMatchObject({ kind: "unknown" });
    expect(await ledger(message.idempotencyKey)).toMatchObject({ state: "unknown" });
    // A retry (the job's, or a restarted worker's) is answered by the ledger: the relay never sees it again.
    expect(await provider.send(message)).toMatchObject({ kind: "unknown" });
    expect(relay.received).toHaveLength(0);
    // The pool recovers: the next message goes on a fresh connection.
    expect((await provider.send(email())).kind).toBe("accepted");
    await provider.close?.();
  });

  it("a relay that takes the body and never answers times out as unknown", async () => {
    relay.fail("hang_after_data");
    const provider = createEmailProvider(t.db, config({ SMTP_TIMEOUT_SECONDS: "1" }), noSleep);
    const message = email();
    const started = Date.now();
    expect(await provider.send(message)).toMatchObject({ kind: "unknown" });
    expect(Date.now() - started).toBeLessThan(5000);
    await provider.close?.();
    expect(await ledger(message.idempotencyKey)).toMatchObject({ state: "unknown" });
  });

  it("a relay that is down, or refuses the login, fails transiently and leaves the key free for the retry", async () => {
    const down = createEmailProvider(t.db, config({ SMTP_URL: "smtp://127.0.0.1:9" }), {
      ...noSleep,
      maxAttempts: 2,
    });
    const message = email();
    await expect(down.send(message)).rejects.toThrow(/après 2 tentatives/);
    await down.close?.();
    const badLogin = createEmailProvider(t.db, config({ SMTP_URL: relay.url.replace("s3cret", "wrong") }), {
      ...noSleep,
      maxAttempts: 2,
    });
    await expect(badLogin.send(message)).rejects.toBeInstanceOf(EmailTransientError);
    await badLogin.close?.();
    expect(await ledger(message.idempotencyKey)).toBeUndefined();
    const fine = createEmailProvider(t.db, config(), noSleep);
    expect((await fine.send(message)).kind).toBe("accepted");
    await fine.close?.();
  });
});

describe("SMTP over TLS", () => {
  let tlsRelay: SmtpRelay;
  beforeAll(async () => {
    tlsRelay = await startSmtpRelay({ secure: true });
  });
  afterAll(() => tlsRelay.close());

  it("sends over TLS from the start (smtps://) and over STARTTLS when required, trusting SMTP_CA_FILE", async () => {
    const tls = createEmailProvider(
      t.db,
      testConfig({ SMTP_URL: tlsRelay.url, SMTP_CA_FILE: TLS_CA_FILE }),
      noSleep,
    );
    expect((await tls.send(email())).kind).toBe("accepted");
    await tls.close?.();
    expect(tlsRelay.received[0].secure).toBe(true);
    const plain = await startSmtpRelay();
    try {
      const starttls = createEmailProvider(
        t.db,
        testConfig({ SMTP_URL: plain.url, SMTP_CA_FILE: TLS_CA_FILE, SMTP_REQUIRE_TLS: "true" }),
        noSleep,
      );
      expect((await starttls.send(email())).kind).toBe("accepted");
      await starttls.close?.();
      expect(plain.received[0].secure).toBe(true);
    } finally {
      await plain.close();
    }
  });

  it("refuses a relay whose certificate it cannot trust", async () => {
    const untrusted = createEmailProvider(t.db, testConfig({ SMTP_URL: tlsRelay.url }), {
      ...noSleep,
      maxAttempts: 1,
    });
    await expect(untrusted.send(email())).rejects.toBeInstanceOf(EmailTransientError);
    await untrusted.close?.();
  });
});
