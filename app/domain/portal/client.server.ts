import { randomUUID } from "node:crypto";
import type { CodeCheck } from "../codes/codes.server";
import type { PortalEventResult, PortalEventType } from "./events.server";
import { signedHeaders } from "./signature";

/**
 * A signing client of the portal API, as the real patient portal would be: used by the demo portal page,
 * the bench and the tests, over real HTTP so the signature path is exercised end to end.
 */
export async function postSigned(
  baseUrl: string,
  secret: string,
  path: string,
  body: unknown,
): Promise<{ status: number; body: Record<string, unknown> }> {
  const raw = JSON.stringify(body);
  const response = await fetch(new URL(path, baseUrl), {
    method: "POST",
    headers: signedHeaders(secret, raw),
    body: raw,
  });
  const text = await response.text();
  let parsed: Record<string, unknown>;
  try {
    parsed = JSON.parse(text) as Record<string, unknown>;
  } catch {
    parsed = { error: "not_json", reason: text.slice(0, 200) };
  }
  return { status: response.status, body: parsed };
}

export type DemoPortalOutcome =
  | { kind: "code"; result: Exclude<CodeCheck, "valid"> }
  | { kind: "locked" }
  | { kind: "bad_nir" }
  | { kind: "event"; result: PortalEventResult }
  | { kind: "error"; status: number; reason: string };

/** What the patient portal does when a person acts: verify the code, then send the event. */
export async function actOnPortal(
  baseUrl: string,
  secret: string,
  params: { nir: string; code: string; type: Extract<PortalEventType, "activation" | "opposition"> },
): Promise<DemoPortalOutcome> {
  const verified = await postSigned(baseUrl, secret, "/api/portal/verify-code", {
    nir: params.nir,
    code: params.code,
  });
  if (verified.status === 429) return { kind: "locked" };
  if (verified.status === 400 && verified.body.error === "invalid_nir") return { kind: "bad_nir" };
  if (verified.status !== 200)
    return { kind: "error", status: verified.status, reason: String(verified.body.reason ?? "") };
  const result = verified.body.result as CodeCheck;
  if (result !== "valid") return { kind: "code", result };
  const sent = await postSigned(baseUrl, secret, "/api/portal/events", {
    events: [
      { event_id: `demo-${randomUUID()}`, type: params.type, nir: params.nir, at: new Date().toISOString() },
    ],
  });
  const results = sent.body.results as PortalEventResult[] | undefined;
  if (sent.status !== 200 || !results?.[0]) {
    return { kind: "error", status: sent.status, reason: String(sent.body.reason ?? "") };
  }
  return { kind: "event", result: results[0] };
}
