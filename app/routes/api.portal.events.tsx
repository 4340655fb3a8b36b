import type { ActionFunctionArgs } from "@remix-run/node";
import { handlePortalEvents, methodNotAllowed } from "~/domain/portal/api.server";

/** POST /api/portal/events — batches of ≤ 500 signed portal events (docs/lifecycle.md). */
export async function action({ request, context }: ActionFunctionArgs) {
  return handlePortalEvents(request, context);
}

export async function loader() {
  return methodNotAllowed();
}
