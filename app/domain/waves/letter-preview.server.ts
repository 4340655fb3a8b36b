import { renderLettersToBuffer } from "../../../reports/letters/letter";
import { SAMPLE_CODE } from "../codes/code";
import { codeExpiry, windowEnd } from "../lifecycle/window";
import { letterNotifiedAt } from "./wave";

/** The letter as it will print, for a fictitious person and a fake code (never a real one). */
export async function letterPreviewPdf(opts: {
  handOff: Date;
  postalDelayDays: number;
  windowDays: number;
  codeGraceDays: number;
}): Promise<Uint8Array> {
  const end = windowEnd(letterNotifiedAt(opts.handOff, opts.postalDelayDays), opts.windowDays);
  const pdf = await renderLettersToBuffer({ batchLabel: "APERÇU", issuedAt: opts.handOff }, [
    {
      sequence: 1,
      firstName: "Přemysl",
      lastName: "Łukasiewicz-Nguyễn",
      addressLine: "12 rue de la République",
      postalCode: "31000",
      city: "Toulouse",
      code: SAMPLE_CODE,
      windowEnd: end,
      codeExpiresAt: codeExpiry(end, opts.codeGraceDays),
    },
  ]);
  return new Uint8Array(pdf);
}
