import type { LoaderFunctionArgs } from "@remix-run/node";
import { requirePermission } from "~/domain/auth/guards.server";
import { DomainError } from "~/domain/domain-error";
import { rollProgress } from "~/domain/rolls/rolls.server";
import { refusalResponse } from "~/http/domain-error";

/** GET /rolls/:rollId/progress — the small JSON the roll page polls every second while the import runs. */
export async function loader({ request, params, context }: LoaderFunctionArgs) {
  await requirePermission(request, context, "rolls:import");
  const rollId = Number(params.rollId);
  if (!Number.isSafeInteger(rollId) || rollId <= 0)
    throw new Response("Fichier introuvable", { status: 404 });
  try {
    return Response.json(await rollProgress(context.db, rollId), {
      headers: { "Cache-Control": "no-store" },
    });
  } catch (error) {
    if (error instanceof DomainError) throw refusalResponse(error);
    throw error;
  }
}
