import { Readable } from "node:stream";
import type { LoaderFunctionArgs } from "@remix-run/node";
import { writeAudit } from "~/domain/audit/audit.server";
import { actorOf, requirePermission } from "~/domain/auth/guards.server";
import { rejectsCsv } from "~/domain/rolls/rejects-csv.server";
import { getRoll } from "~/domain/rolls/rolls.server";

/** GET /rolls/:rollId/rejects.csv — refused rows, in the file's own encoding and delimiter (audited). */
export async function loader({ request, params, context }: LoaderFunctionArgs) {
  const user = await requirePermission(request, context, "rolls:import");
  const rollId = Number(params.rollId);
  if (!Number.isSafeInteger(rollId) || rollId <= 0)
    throw new Response("Fichier introuvable", { status: 404 });
  const roll = await getRoll(context.db, rollId).catch(() => null);
  if (!roll) throw new Response("Fichier introuvable", { status: 404 });
  await writeAudit(context.db, actorOf(user, context), {
    action: "roll.rejects_downloaded",
    objectType: "roll",
    objectId: rollId,
  });
  const charset =
    roll.encoding === "utf-16le" || roll.encoding === "utf-16be" ? "utf-16" : (roll.encoding ?? "utf-8");
  const base = roll.fileName.replace(/\.[^.]*$/, "").replace(/[^\w.-]+/g, "_");
  return new Response(Readable.toWeb(Readable.from(rejectsCsv(context.db, rollId))) as ReadableStream, {
    headers: {
      "Content-Type": `text/csv; charset=${charset}`,
      "Content-Disposition": `attachment; filename="${base}-rejets.csv"`,
      "Cache-Control": "no-store",
    },
  });
}
