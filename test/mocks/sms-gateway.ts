import { HttpResponse, http } from "msw";

/** The SMS gateway's HTTP API as tests see it (code resets). The helpline context owns the client. */
export const SMS_GATEWAY_URL = "https://sms-gateway.test";

export const sentSms: Array<{ body: unknown }> = [];

export const smsGatewayHandlers = [
  http.post(`${SMS_GATEWAY_URL}/v1/sms`, async ({ request }) => {
    const body = await request.json();
    sentSms.push({ body });
    return HttpResponse.json({ id: `sms_${sentSms.length}`, status: "queued" }, { status: 202 });
  }),
];
