import { describe, expect, it } from "vitest";
import { isGsm7, smsLength } from "./sms-length";

describe("SMS length (GSM 03.38)", () => {
  it("keeps French text with the accents of the GSM alphabet in GSM-7, and switches to UCS-2 for others", () => {
    expect(isGsm7("Mon espace santé : à très bientôt ?")).toBe(false); // « ô » is not in the alphabet
    expect(isGsm7("Mon espace santé : à bientôt")).toBe(false);
    expect(isGsm7("Mon espace santé : votre code expire le 12/03. Ne le communiquez à personne.")).toBe(true);
    expect(isGsm7("Ça coûte 5 €")).toBe(false); // « û »
    expect(isGsm7("Ça fait 5 €")).toBe(true); // « Ç » and « € » (extension) are GSM
    expect(isGsm7("ça")).toBe(false); // only the capital « Ç » is in the alphabet
  });

  it("counts 160 septets in one SMS and 153 per part beyond, an extension character as two", () => {
    expect(smsLength("")).toEqual({ encoding: "GSM-7", units: 0, parts: 0 });
    expect(smsLength("a".repeat(160))).toEqual({ encoding: "GSM-7", units: 160, parts: 1 });
    expect(smsLength("a".repeat(161))).toEqual({ encoding: "GSM-7", units: 161, parts: 2 });
    expect(smsLength("a".repeat(306)).parts).toBe(2);
    expect(smsLength("a".repeat(307)).parts).toBe(3);
    expect(smsLength("€".repeat(80))).toEqual({ encoding: "GSM-7", units: 160, parts: 1 });
    // 152 septets then a two-septet character: it does not fit in the first part's last septet.
    expect(smsLength(`${"a".repeat(152)}€${"a".repeat(7)}`)).toEqual({
      encoding: "GSM-7",
      units: 161,
      parts: 2,
    });
    expect(smsLength(`${"a".repeat(152)}€${"a".repeat(152)}`).parts).toBe(3);
  });

  it("counts 70 UTF-16 units in one UCS-2 SMS and 67 per part, a character beyond the BMP as two", () => {
    expect(smsLength("ô".repeat(70))).toEqual({ encoding: "UCS-2", units: 70, parts: 1 });
    expect(smsLength("ô".repeat(71))).toEqual({ encoding: "UCS-2", units: 71, parts: 2 });
    expect(smsLength("ô".repeat(134)).parts).toBe(2);
    expect(smsLength("ô".repeat(135)).parts).toBe(3);
    expect(smsLength("😀".repeat(35))).toEqual({ encoding: "UCS-2", units: 70, parts: 1 });
    // 134 units would fill two parts exactly, but the pair cannot straddle the first part's end.
    expect(smsLength(`${"ô".repeat(66)}😀${"ô".repeat(66)}`)).toEqual({
      encoding: "UCS-2",
      units: 134,
      parts: 3,
    });
  });
});
