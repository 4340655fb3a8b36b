import { delay, HttpResponse, http } from "msw";

/**
 * The SMS gateway's HTTP API as tests see it (contract: app/domain/helpline/sms-gateway.server.ts):
 * `POST /v1/sms` {to, text} with a bearer token and an Idempotency-Key; the same key again is not sent
 * twice. Failure modes are added per test with `mockServer.use(...smsGatewayFails(...))`.
 */
export const SMS_GATEWAY_URL = "https://sms-gateway.test";

export const sentSms: Array<{
  body: { to: string; text: string };
  idempotencyKey: string | null;
  auth: string | null;
}> = [];
const seen = new Set<string>();

export function resetSmsGateway(): void {
  sentSms.length = 0;
  seen.clear();
}

export const smsGatewayHandlers = [
  http.post(`${SMS_GATEWAY_URL}/v1/sms`, async ({ request }) => {
    const body = (await request.json()) as { to: string; text: string };
    const idempotencyKey = request.headers.get("idempotency-key");
    if (idempotencyKey && seen.has(idempotencyKey)) {
      return HttpResponse.json({ id: `sms_dup_${idempotencyKey}`, status: "queued", duplicate: true });
    }
    if (idempotencyKey) seen.add(idempotencyKey);
    sentSms.push({ body, idempotencyKey, auth: request.headers.get("authorization") });
    return HttpResponse.json({ id: `sms_${sentSms.length}`, status: "queued" }, { status: 202 });
  }),
];

/** The next `times` requests fail: an HTTP status (with optional Retry-After), a network error or a hang. */
export function smsGatewayFails(
  mode: { status: number; retryAfter?: string } | "network" | "timeout",
  times = 1,
) {
  let left = times;
  return [
    http.post(`${SMS_GATEWAY_URL}/v1/sms`, async () => {
      if (left <= 0) return undefined; // fall through to the default handler
      left--;
      if (mode === "network") return HttpResponse.error();
      if (mode === "timeout") {
        await delay(10_000);
        return HttpResponse.json({}, { status: 504 });
      }
      return HttpResponse.json(
        { error: `status ${mode.status}` },
        { status: mode.status, headers: mode.retryAfter ? { "retry-after": mode.retryAfter } : {} },
      );
    }),
  ];
}
