import type { ActionFunctionArgs } from "@remix-run/node";
import { handleVerifyCode, methodNotAllowed } from "~/domain/portal/api.server";

/** POST /api/portal/verify-code — signed by the patient portal (docs/lifecycle.md). */
export async function action({ request, context }: ActionFunctionArgs) {
  return handleVerifyCode(request, context);
}

export async function loader() {
  return methodNotAllowed();
}
