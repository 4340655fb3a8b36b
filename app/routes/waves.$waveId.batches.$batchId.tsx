import { createReadStream, existsSync } from "node:fs";
import { Readable } from "node:stream";
import type { LoaderFunctionArgs } from "@remix-run/node";
import { writeAudit } from "~/domain/audit/audit.server";
import { actorOf, requirePermission } from "~/domain/auth/guards.server";
import { batchFile } from "~/domain/waves/wave-queries.server";

/**
 * GET /waves/:waveId/batches/:batchId?file=pdf|manifest — a handed-off batch as sent to the print house.
 * The PDF holds clear codes (as the paper will): every download is audited.
 */
export async function loader({ request, params, context }: LoaderFunctionArgs) {
  const user = await requirePermission(request, context, "waves:read");
  const waveId = Number(params.waveId);
  const batchId = Number(params.batchId);
  if (!Number.isSafeInteger(waveId) || !Number.isSafeInteger(batchId))
    throw new Response("Lot introuvable", { status: 404 });
  const file = await batchFile(context.db, waveId, batchId);
  const wantManifest = new URL(request.url).searchParams.get("file") === "manifest";
  const filePath = wantManifest ? file?.manifestPath : file?.pdfPath;
  if (!file || !filePath || !existsSync(filePath)) {
    throw new Response("Ce lot n'a pas (encore) de fichier remis à l'imprimeur.", { status: 404 });
  }
  await writeAudit(context.db, actorOf(user, context), {
    action: wantManifest ? "wave.batch_manifest_downloaded" : "wave.batch_pdf_downloaded",
    objectType: "wave",
    objectId: waveId,
    details: { batchId },
  });
  const name = filePath.split("/").pop() ?? "lot";
  return new Response(Readable.toWeb(createReadStream(filePath)) as ReadableStream, {
    headers: {
      "Content-Type": wantManifest ? "text/csv; charset=utf-8" : "application/pdf",
      "Content-Disposition": `attachment; filename="${name}"`,
      "Cache-Control": "no-store",
    },
  });
}
