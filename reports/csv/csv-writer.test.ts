import { parse } from "csv-parse/sync";
import { describe, expect, it } from "vitest";
import { csvDocument, csvNumber, csvRecords, frenchDecimal } from "./csv-writer";

const PAYLOADS = ['=HYPERLINK("http://x";"clic")', "@SUM(A1:A2)", "+33 6 12", "-2+3", "\tcaché", "\rretour"];

describe("the CSV writer", () => {
  it("neutralises every cell Excel would run as a formula, and keeps the text otherwise intact", () => {
    const text = csvRecords([PAYLOADS]);
    const [cells] = parse(text, { delimiter: ";", relax_quotes: true }) as string[][];
    expect(cells).toEqual(PAYLOADS.map((p) => `'${p}`));
  });

  it("writes numbers as numbers: decimal comma, a minus sign that stays, no signed zero", () => {
    expect(
      csvRecords([[-3.5, 0.1 + 0.2, 1200, csvNumber(-0.04, 1), csvNumber(-12.345, 1), csvNumber(33.333, 1)]]),
    ).toBe("-3,5;0,3;1200;0,0;-12,3;33,3\r\n");
    expect(frenchDecimal(-0.0000001)).toBe("0");
    expect(frenchDecimal(-0, 2)).toBe("0,00");
  });

  it("quotes what needs quoting and starts a document with a BOM", () => {
    expect(csvDocument([["a;b", 'dit "oui"', "", null, "ligne\nsuivante"]])).toBe(
      '\uFEFF"a;b";"dit ""oui""";;;"ligne\nsuivante"\r\n',
    );
    expect(csvRecords([["a", "b"]], { delimiter: ",", eol: "\n" })).toBe("a,b\n");
  });
});
