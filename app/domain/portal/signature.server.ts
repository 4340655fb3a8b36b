import type { DB } from "../../../db/connection";
import {
  type SignedRequestDeps,
  type SignedRequestVerdict,
  verifySignedRequest,
} from "../webhooks/signed-request.server";
import { PORTAL_SIGNATURE } from "./signature";

export type SignatureVerdict = SignedRequestVerdict;

/** Checks a portal request's signature and accepts each signature once. */
export async function verifyPortalSignature(
  db: DB,
  deps: SignedRequestDeps,
  params: { request: Request; rawBody: string },
): Promise<SignatureVerdict> {
  return verifySignedRequest(db, deps, {
    scheme: PORTAL_SIGNATURE,
    headers: params.request.headers,
    rawBody: params.rawBody,
    sender: "portal",
  });
}
