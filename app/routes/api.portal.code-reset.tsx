import type { ActionFunctionArgs } from "@remix-run/node";
import { handleCodeReset, methodNotAllowed } from "~/domain/portal/api.server";

/** POST /api/portal/code-reset — a new provisional code asked by the person, signed by the portal (docs/lifecycle.md). */
export async function action({ request, context }: ActionFunctionArgs) {
  return handleCodeReset(request, context);
}

export async function loader() {
  return methodNotAllowed();
}
