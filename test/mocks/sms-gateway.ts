import { readFileSync } from "node:fs";
import { delay, HttpResponse, http } from "msw";

/**
 * Brevo's transactional SMS API as tests see it (adapter: app/domain/helpline/sms-brevo.server.ts):
 * `POST /v3/transactionalSMS/send` with an `api-key` header, answered with the documented 201 body
 * (test/fixtures/brevo/). Failure modes are added per test with `mockServer.use(...smsGatewayFails(...))`.
 */
export const BREVO_API_URL = "https://api.brevo.test";
export const BREVO_API_KEY = "xkeysib-test";
const SEND = `${BREVO_API_URL}/v3/transactionalSMS/send`;

const fixture = (name: string) =>
  JSON.parse(readFileSync(new URL(`../fixtures/brevo/${name}`, import.meta.url), "utf8")) as Record<
    string,
    unknown
  >;
export const brevoSmsRequestShape = fixture("sms-send-request.json");
const documentedAnswer = fixture("sms-send-response.json");
const documentedError = fixture("error-response.json");

export interface SentSms {
  body: {
    sender: string;
    recipient: string;
    content: string;
    type: string;
    tag: string;
    unicodeEnabled: boolean;
  };
  apiKey: string | null;
}
export const sentSms: SentSms[] = [];

export function resetSmsGateway(): void {
  sentSms.length = 0;
}

export const smsGatewayHandlers = [
  http.post(SEND, async ({ request }) => {
    const apiKey = request.headers.get("api-key");
    if (apiKey !== BREVO_API_KEY) {
      return HttpResponse.json({ code: "unauthorized", message: "Key not found" }, { status: 401 });
    }
    const body = (await request.json()) as SentSms["body"];
    // Brevo's own checks on the fields (sendTransacSms schema): a request they refuse is refused here too.
    if (!/^\+?\d{6,15}$/.test(body.recipient) || !body.content || !body.sender) {
      return HttpResponse.json(documentedError, { status: 400 });
    }
    sentSms.push({ body, apiKey });
    return HttpResponse.json(
      { messageId: Number(documentedAnswer.messageId) + sentSms.length },
      { status: 201 },
    );
  }),
];

/** The next `times` requests fail: an HTTP status (with optional rate-limit reset), a network error or a hang. */
export function smsGatewayFails(
  mode: { status: number; rateLimitReset?: string } | "network" | "timeout",
  times = 1,
) {
  let left = times;
  return [
    http.post(SEND, async () => {
      if (left <= 0) return undefined; // fall through to the default handler
      left--;
      if (mode === "network") return HttpResponse.error();
      if (mode === "timeout") {
        await delay(10_000);
        return HttpResponse.json({}, { status: 504 });
      }
      const headers: Record<string, string> = mode.rateLimitReset
        ? {
            "x-sib-ratelimit-limit": "150",
            "x-sib-ratelimit-remaining": "0",
            "x-sib-ratelimit-reset": mode.rateLimitReset,
          }
        : {};
      return HttpResponse.json(
        mode.status === 400 ? documentedError : { code: `status_${mode.status}`, message: "error" },
        { status: mode.status, headers },
      );
    }),
  ];
}
