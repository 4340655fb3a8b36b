import { HttpResponse, http } from "msw";

/**
 * The transactional email provider's HTTP API as tests see it. Handlers for failure modes (400, 429 with
 * Retry-After, 5xx, timeouts) are added per test with server.use(...). The waves context owns the client.
 */
export const EMAIL_PROVIDER_URL = "https://email-provider.test";

export const sentEmails: Array<{ idempotencyKey: string | null; body: unknown }> = [];

export const emailProviderHandlers = [
  http.post(`${EMAIL_PROVIDER_URL}/v1/messages`, async ({ request }) => {
    const body = await request.json();
    const idempotencyKey = request.headers.get("idempotency-key");
    sentEmails.push({ idempotencyKey, body });
    return HttpResponse.json({ id: `msg_${sentEmails.length}`, status: "accepted" }, { status: 202 });
  }),
];
