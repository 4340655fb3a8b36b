import { describe, expect, it } from "vitest";
import { pdfPages } from "../../test/integration/waves-support";
import { frenchLongDate, type LetterData, renderLettersToBuffer } from "./letter";
import { manifestCsv } from "./manifest";

const letter = (i: number, over: Partial<LetterData> = {}): LetterData => ({
  sequence: i,
  firstName: "Şebnem",
  lastName: "Dvořák",
  addressLine:
    "Résidence Les Érables, bâtiment C, escalier 4, 127 boulevard du Maréchal-de-Lattre-de-Tassigny",
  postalCode: "31000",
  city: "Toulouse",
  code: "ABCD-EFGH-JKMNP",
  windowEnd: new Date("2022-03-17T22:59:59Z"),
  codeExpiresAt: new Date("2022-04-17T21:59:59Z"),
  ...over,
});

describe("notification letters", () => {
  it("prints exactly one page per letter, names outside Latin-1 included", async () => {
    const letters = Array.from({ length: 25 }, (_, i) =>
      letter(i + 1, i % 2 ? { firstName: "Đức", lastName: "Nguyễn-Łukasiewicz de la Tour d'Auvergne" } : {}),
    );
    const pdf = await renderLettersToBuffer(
      { batchLabel: "V1-C0001", issuedAt: new Date("2022-02-03T09:00:00Z") },
      letters,
    );
    const pages = (await pdfPages(pdf)).map((p) => p.replace(/\s+/g, " "));
    expect(pages).toHaveLength(25);
    expect(pages[0]).toContain("Şebnem DVOŘÁK");
    expect(pages[1]).toContain("NGUYỄN-ŁUKASIEWICZ");
    expect(pages[1]).toContain("Đức");
    expect(pages[0]).toContain("ABCD-EFGH-JKMNP");
    expect(pages[0]).toContain("jeudi 17 mars 2022");
    expect(pages[24]).toContain("Lot V1-C0001 — n° 25");
  });

  it("draws the fixed parts once per document and still prints each letter's own dates", async () => {
    const march = new Date("2022-03-17T22:59:59Z");
    const april = new Date("2022-04-21T21:59:59Z");
    const letters = [1, 2, 3, 4].map((i) =>
      letter(i, { windowEnd: i % 2 ? march : april, code: `ABCD-EFGH-JKM${i}P` }),
    );
    const pdf = await renderLettersToBuffer(
      { batchLabel: "V1-C0002", issuedAt: new Date("2022-02-03T09:00:00Z"), compress: false },
      letters,
    );
    const raw = pdf.toString("latin1");
    // One form for the letterhead and opening, one per window end date: three in all, placed 8 times.
    expect(raw.match(/\/Subtype \/Form/g)).toHaveLength(3);
    expect(raw.match(/\/Letter\d+ Do/g)).toHaveLength(8);
    const pages = (await pdfPages(pdf)).map((p) => p.replace(/\s+/g, " "));
    expect(pages).toHaveLength(4);
    for (const [i, page] of pages.entries()) {
      expect(page).toContain("Madame, Monsieur,");
      expect(page).toContain(`ABCD-EFGH-JKM${i + 1}P`);
      expect(page).toContain(i % 2 ? "jeudi 21 avril 2022" : "jeudi 17 mars 2022");
      expect(page).not.toContain(i % 2 ? "jeudi 17 mars 2022" : "jeudi 21 avril 2022");
      expect(page).toContain(`Lot V1-C0002 — n° ${i + 1}`);
    }
  });

  it("writes the date out in French", () => {
    expect(frenchLongDate(new Date("2022-03-17T22:59:59Z"))).toBe("jeudi 17 mars 2022");
    // The first of the month is an ordinal; midnight in Paris is still the previous day in UTC.
    expect(frenchLongDate(new Date("2022-02-28T23:30:00Z"))).toBe("mardi 1er mars 2022");
  });

  it("builds the print manifest with quoting, BOM and CRLF", () => {
    const csv = manifestCsv([
      {
        batch: "V1-C0001",
        sequence: 1,
        name: "Jean Martin",
        addressLine: '3 rue "du Port"; bât. B',
        postalCode: "44000",
        city: "Nantes",
      },
    ]);
    expect(csv.startsWith("\uFEFFlot;sequence;nom;adresse;code_postal;ville\r\n")).toBe(true);
    expect(csv).toContain('V1-C0001;1;Jean Martin;"3 rue ""du Port""; bât. B";44000;Nantes\r\n');
  });
});
