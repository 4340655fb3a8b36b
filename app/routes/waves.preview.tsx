import { json, type LoaderFunctionArgs } from "@remix-run/node";
import { requirePermission } from "~/domain/auth/guards.server";
import { parisDate } from "~/domain/lifecycle/paris-time";
import { previewView, previewWave } from "~/domain/waves/preview.server";
import { readWaveForm, validateWaveForm } from "~/domain/waves/wave-form";

/** GET /waves/preview?<builder fields> — live count, exclusions, sample (masked NIR) and calendar as JSON. */
export async function loader({ request, context }: LoaderFunctionArgs) {
  await requirePermission(request, context, "waves:write");
  const today = parisDate(new Date());
  const values = readWaveForm(new URL(request.url).searchParams, today);
  const checked = validateWaveForm(values, { requireName: false, today });
  if (!checked.ok) return json({ preview: null, errors: checked.errors }, { status: 400 });
  const preview = await previewWave(context.db, checked.segment, checked.settings, context.config.sendHours);
  return json({ preview: previewView(preview), errors: {} });
}
