import { describe, expect, it } from "vitest";
import { sniffFileKind, wrongKindMessage } from "./file-kind";

const bytes = (...b: number[]) => Uint8Array.from(b);
const zipWith = (name: string) =>
  Buffer.concat([Buffer.from([0x50, 0x4b, 0x03, 0x04]), Buffer.alloc(26), Buffer.from(name, "latin1")]);

describe("file kind", () => {
  it("tells text from workbooks and from what no importer reads", () => {
    expect(sniffFileKind(Buffer.from("NIR;Nom\n1;DUPONT\n"))).toEqual({ kind: "text" });
    expect(sniffFileKind(zipWith("[Content_Types].xml"))).toEqual({ kind: "xlsx" });
    expect(sniffFileKind(zipWith("xl/workbook.xml"))).toEqual({ kind: "xlsx" });
    expect(sniffFileKind(zipWith("word/document.xml[Content_Types].xml"))).toMatchObject({
      label: "un document Word (.docx)",
    });
    expect(sniffFileKind(zipWith("mimetypeapplication/vnd.oasis.opendocument.spreadsheet"))).toMatchObject({
      label: "un classeur OpenDocument (.ods)",
    });
    expect(sniffFileKind(zipWith("roll.csv"))).toMatchObject({ label: "une archive ZIP" });
    expect(sniffFileKind(bytes(0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1))).toMatchObject({
      label: "un classeur Excel 97-2003 (.xls)",
    });
    expect(sniffFileKind(Buffer.from("%PDF-1.4\n"))).toMatchObject({ label: "un document PDF" });
    expect(sniffFileKind(bytes(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a))).toMatchObject({
      label: "une image PNG",
    });
    expect(sniffFileKind(bytes(0xff, 0xd8, 0xff, 0xe0))).toMatchObject({ label: "une image JPEG" });
    expect(sniffFileKind(bytes(0x1f, 0x8b, 0x08))).toMatchObject({ label: "une archive gzip" });
    expect(sniffFileKind(Buffer.concat([Buffer.from("SQLite format 3"), Buffer.alloc(100)]))).toMatchObject({
      label: "un fichier binaire (pas du texte)",
    });
  });

  it("takes UTF-16 text, with or without its mark, and a stray control byte, as text", () => {
    expect(sniffFileKind(Buffer.concat([bytes(0xff, 0xfe), Buffer.from("NIR\tNom\r\n", "utf16le")]))).toEqual(
      { kind: "text" },
    );
    expect(sniffFileKind(Buffer.from("NIR\tNom\r\n1\tDUPONT\r\n", "utf16le"))).toEqual({ kind: "text" });
    expect(sniffFileKind(Buffer.from(`NIR;Nom\n${"1;DU\u0001PONT\n".repeat(50)}`))).toEqual({ kind: "text" });
  });

  it("says what was sent, what was expected and what to do", () => {
    const kind = sniffFileKind(bytes(0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1));
    if (kind.kind !== "other") throw new Error("expected a refusal");
    expect(wrongKindMessage(kind, "une liste CSV")).toBe(
      "ce fichier est un classeur Excel 97-2003 (.xls), pas une liste CSV : ouvrez-le dans Excel ou LibreOffice et enregistrez-le au format « CSV UTF-8 (délimité par des points-virgules) »",
    );
  });
});
