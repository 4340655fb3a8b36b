import type { DB } from "../../../db/connection";
import {
  checkSignedRequest,
  type SignatureProblem,
  type SignatureScheme,
  signatureHeadersOf,
} from "./signed-request";

/**
 * Remembers an accepted signature; resolves false when it was already there (the request is a replay).
 * Each sender keeps its own table (portal_signature, kpi_api_signature).
 */
export type ReplayStore = (db: DB, accepted: { signature: string; timestamp: number }) => Promise<boolean>;

export type SignedRequestVerdict = { ok: true } | { ok: false; problem: SignatureProblem | "replayed" };

/** What a verification needs besides the database: the sender's shared secret and, for tests, the clock. */
export interface SignedRequestDeps {
  secret: string;
  now?: Date;
}

/**
 * Checks a signed request (signed-request.ts) and, with a replay store, accepts each signature once. The
 * store is asked only for a request whose signature is valid, so forged requests write nothing.
 */
export async function verifySignedRequest(
  db: DB,
  deps: SignedRequestDeps,
  params: {
    scheme: SignatureScheme;
    headers: Headers;
    rawBody: string;
    replay?: ReplayStore;
  },
): Promise<SignedRequestVerdict> {
  const checked = checkSignedRequest(
    params.scheme,
    deps.secret,
    signatureHeadersOf(params.scheme, params.headers),
    params.rawBody,
    deps.now,
  );
  if (!checked.ok) return checked;
  if (params.replay && !(await params.replay(db, checked))) return { ok: false, problem: "replayed" };
  return { ok: true };
}
