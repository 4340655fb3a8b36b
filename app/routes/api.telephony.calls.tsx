import { type ActionFunctionArgs, json } from "@remix-run/node";
import { DomainError } from "~/domain/domain-error";
import {
  TELEPHONY_SIGNATURE,
  TELEPHONY_SIGNATURE_PROBLEMS,
  telephonyCallSchema,
} from "~/domain/helpline/telephony";
import { openCaseFromCall } from "~/domain/helpline/telephony.server";
import { verifySignedRequest } from "~/domain/webhooks/signed-request.server";
import { refusal } from "~/http/domain-error";

/**
 * Signed call notifications from the telephony server (see docs/helpline.md):
 * 201 {case_id} created, 200 {case_id, duplicate: true} for a call_id already seen, 401 bad signature,
 * 400 invalid body, 405 for anything but POST.
 */
export async function loader() {
  return json({ error: "POST uniquement" }, { status: 405, headers: { Allow: "POST" } });
}

const MAX_BODY_BYTES = 16 * 1024;

export async function action({ request, context }: ActionFunctionArgs) {
  if (request.method !== "POST")
    return json({ error: "POST uniquement" }, { status: 405, headers: { Allow: "POST" } });
  const rawBody = await request.text();
  if (Buffer.byteLength(rawBody) > MAX_BODY_BYTES)
    return json({ error: "corps trop volumineux" }, { status: 413 });
  const signature = await verifySignedRequest(
    context.db,
    { secret: context.config.secrets.telephonyWebhook },
    {
      scheme: TELEPHONY_SIGNATURE,
      headers: request.headers,
      rawBody,
      sender: "telephony",
    },
  );
  if (!signature.ok) return json({ error: TELEPHONY_SIGNATURE_PROBLEMS[signature.problem] }, { status: 401 });
  let body: unknown;
  try {
    body = JSON.parse(rawBody);
  } catch {
    return json({ error: "JSON invalide" }, { status: 400 });
  }
  const parsed = telephonyCallSchema.safeParse(body);
  if (!parsed.success) {
    return json(
      { error: "appel invalide", details: parsed.error.issues.map((i) => i.message) },
      { status: 400 },
    );
  }
  try {
    const opened = await openCaseFromCall(context.db, { boss: context.boss }, parsed.data, context.requestId);
    return json(
      { case_id: opened.caseId, duplicate: !opened.created },
      { status: opened.created ? 201 : 200 },
    );
  } catch (error) {
    if (error instanceof DomainError) return refusal(error, { error: error.message });
    throw error;
  }
}
