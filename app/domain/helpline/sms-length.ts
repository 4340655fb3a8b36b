/**
 * How many SMS a text costs (3GPP TS 23.038 and 23.040). A text made only of the GSM 7-bit default alphabet
 * (and its extension table, two septets per character) goes as GSM-7: 160 septets in one SMS, 153 per part
 * once concatenated (the user data header takes 7). Any other character switches the whole text to UCS-2:
 * 70 UTF-16 units in one SMS, 67 per part. A character never straddles two parts: an escape pair stays whole,
 * and so does a surrogate pair. Operators bill per part, and a gateway told "unicode" for a GSM-7 text would
 * cost more than twice as much, so the gateway adapter asks here which encoding to declare.
 */

// The GSM 03.38 default alphabet, in table order (0x00–0x7F); 0x1B (escape) is left out on purpose.
const GSM7_BASIC =
  "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà";
// The extension table: each costs an escape septet plus its own.
const GSM7_EXTENSION = "\f^{}\\[~]|€";

const BASIC = new Set(GSM7_BASIC);
const EXTENSION = new Set(GSM7_EXTENSION);

export type SmsEncoding = "GSM-7" | "UCS-2";

export interface SmsLength {
  encoding: SmsEncoding;
  /** Septets (GSM-7) or UTF-16 code units (UCS-2). */
  units: number;
  /** The number of SMS the operator bills. */
  parts: number;
}

const LIMITS: Record<SmsEncoding, { single: number; part: number }> = {
  "GSM-7": { single: 160, part: 153 },
  "UCS-2": { single: 70, part: 67 },
};

export function isGsm7(text: string): boolean {
  for (const ch of text) if (!BASIC.has(ch) && !EXTENSION.has(ch)) return false;
  return true;
}

/** The cost of each character in its encoding's units, in order. */
function characterUnits(text: string, encoding: SmsEncoding): number[] {
  const units: number[] = [];
  for (const ch of text) {
    if (encoding === "GSM-7") units.push(EXTENSION.has(ch) ? 2 : 1);
    else units.push(ch.length); // 2 for a character outside the BMP (a surrogate pair)
  }
  return units;
}

export function smsLength(text: string): SmsLength {
  const encoding: SmsEncoding = isGsm7(text) ? "GSM-7" : "UCS-2";
  const costs = characterUnits(text, encoding);
  const units = costs.reduce((sum, n) => sum + n, 0);
  const limit = LIMITS[encoding];
  if (units <= limit.single) return { encoding, units, parts: units === 0 ? 0 : 1 };
  // Greedy fill, so that a two-unit character that does not fit starts the next part.
  let parts = 1;
  let used = 0;
  for (const cost of costs) {
    if (used + cost > limit.part) {
      parts++;
      used = 0;
    }
    used += cost;
  }
  return { encoding, units, parts };
}
