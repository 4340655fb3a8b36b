import { randomUUID } from "node:crypto";
import type { CodeCheck } from "../codes/codes.server";
import type { PortalResetChannel } from "./code-reset";
import type { PortalEventResult, PortalEventType } from "./events.server";
import { signedHeaders } from "./signature";

/** Where the portal API answers and the secret its requests are signed with. */
export interface PortalClient {
  baseUrl: string;
  secret: string;
}

/**
 * A signing client of the portal API, as the real patient portal would be: used by the demo portal page,
 * the bench and the tests, over real HTTP so the signature path is exercised end to end.
 */
export async function postSigned(
  portal: PortalClient,
  params: { path: string; body: unknown },
): Promise<{ status: number; body: Record<string, unknown> }> {
  const raw = JSON.stringify(params.body);
  const response = await fetch(new URL(params.path, portal.baseUrl), {
    method: "POST",
    headers: signedHeaders(portal.secret, raw),
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
  portal: PortalClient,
  params: { nir: string; code: string; type: Extract<PortalEventType, "activation" | "opposition"> },
): Promise<DemoPortalOutcome> {
  const verified = await postSigned(portal, {
    path: "/api/portal/verify-code",
    body: { nir: params.nir, code: params.code },
  });
  if (verified.status === 429) return { kind: "locked" };
  if (verified.status === 400 && verified.body.error === "invalid_nir") return { kind: "bad_nir" };
  if (verified.status !== 200)
    return { kind: "error", status: verified.status, reason: String(verified.body.reason ?? "") };
  const result = verified.body.result as CodeCheck;
  if (result !== "valid") return { kind: "code", result };
  const sent = await postSigned(portal, {
    path: "/api/portal/events",
    body: {
      events: [
        {
          event_id: `demo-${randomUUID()}`,
          type: params.type,
          nir: params.nir,
          at: new Date().toISOString(),
        },
      ],
    },
  });
  const results = sent.body.results as PortalEventResult[] | undefined;
  if (sent.status !== 200 || !results?.[0]) {
    return { kind: "error", status: sent.status, reason: String(sent.body.reason ?? "") };
  }
  return { kind: "event", result: results[0] };
}

export type DemoResetOutcome =
  | { kind: "accepted" }
  | { kind: "invalid"; field: string; reason: string }
  | { kind: "error"; status: number; reason: string };

/** What the patient portal does when a person asks for a new code: one signed request, a neutral answer. */
export async function askNewCode(
  portal: PortalClient,
  params: { nir: string; birthDate: string; channel: PortalResetChannel },
): Promise<DemoResetOutcome> {
  const sent = await postSigned(portal, {
    path: "/api/portal/code-reset",
    body: { nir: params.nir, birth_date: params.birthDate, channel: params.channel },
  });
  if (sent.status === 202) return { kind: "accepted" };
  if (sent.status === 400 && sent.body.error === "invalid_field") {
    return { kind: "invalid", field: String(sent.body.field), reason: String(sent.body.reason ?? "") };
  }
  return { kind: "error", status: sent.status, reason: String(sent.body.reason ?? "") };
}
