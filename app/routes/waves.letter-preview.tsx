import type { LoaderFunctionArgs } from "@remix-run/node";
import { requirePermission } from "~/domain/auth/guards.server";
import { parisDate, parisInstant } from "~/domain/lifecycle/paris-time";
import { letterPreviewPdf } from "~/domain/waves/letter-preview.server";
import { DEFAULT_SETTINGS } from "~/domain/waves/wave";
import { readWaveForm } from "~/domain/waves/wave-form";

/** GET /waves/letter-preview?<builder fields> — one letter (fictitious person, fake code) as a PDF. */
export async function loader({ request, context }: LoaderFunctionArgs) {
  await requirePermission(request, context, "waves:read");
  const values = readWaveForm(new URL(request.url).searchParams, parisDate(new Date()));
  const handOff = /^\d{4}-\d{2}-\d{2}$/.test(values.startDate)
    ? parisInstant(values.startDate, "12:00:00")
    : new Date();
  const pdf = await letterPreviewPdf({
    handOff,
    postalDelayDays: Number(values.postalDelayDays) || DEFAULT_SETTINGS.postalDelayDays,
    windowDays: Number(values.windowDays) || DEFAULT_SETTINGS.windowDays,
    codeGraceDays: context.config.codeGraceDays,
  });
  return new Response(pdf as unknown as BodyInit, {
    headers: {
      "Content-Type": "application/pdf",
      "Content-Disposition": 'inline; filename="apercu-courrier.pdf"',
      "Cache-Control": "no-store",
    },
  });
}
