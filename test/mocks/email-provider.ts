import { randomUUID } from "node:crypto";
import { HttpResponse, http } from "msw";

/**
 * The transactional email provider's HTTP API as tests see it (contract: app/domain/waves/email-provider.server.ts).
 * Idempotent by `Idempotency-Key`: the same key again returns the first message, marked duplicate, and is
 * not sent twice. Failure modes (400, 429 with Retry-After, 5xx, timeouts) are added per test with
 * mockServer.use(...); `resetEmailProvider()` empties the mailbox between tests.
 */
export const EMAIL_PROVIDER_URL = "https://email-provider.test";

export interface MockEmail {
  id: string;
  idempotencyKey: string | null;
  acceptedAt: string;
  body: { to: string; subject: string; html: string; text: string };
}

export const sentEmails: MockEmail[] = [];
const byKey = new Map<string, MockEmail>();

export function resetEmailProvider(): void {
  sentEmails.length = 0;
  byKey.clear();
}

export const emailProviderHandlers = [
  http.post(`${EMAIL_PROVIDER_URL}/v1/messages`, async ({ request }) => {
    const body = (await request.json()) as MockEmail["body"];
    const idempotencyKey = request.headers.get("idempotency-key");
    const known = idempotencyKey ? byKey.get(idempotencyKey) : undefined;
    if (known) {
      return HttpResponse.json({
        id: known.id,
        status: "accepted",
        duplicate: true,
        accepted_at: known.acceptedAt,
      });
    }
    const email: MockEmail = {
      id: `msg_${randomUUID()}`,
      idempotencyKey,
      acceptedAt: new Date().toISOString(),
      body,
    };
    sentEmails.push(email);
    if (idempotencyKey) byKey.set(idempotencyKey, email);
    return HttpResponse.json(
      { id: email.id, status: "accepted", accepted_at: email.acceptedAt },
      { status: 202 },
    );
  }),
  http.get(`${EMAIL_PROVIDER_URL}/v1/messages`, ({ request }) => {
    const key = new URL(request.url).searchParams.get("idempotency_key");
    const known = key ? byKey.get(key) : undefined;
    if (!known) return HttpResponse.json({ error: "not_found" }, { status: 404 });
    return HttpResponse.json({ id: known.id, accepted_at: known.acceptedAt });
  }),
];
