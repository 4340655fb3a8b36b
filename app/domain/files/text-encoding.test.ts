import iconv from "iconv-lite";
import { describe, expect, it } from "vitest";
import { sniffEncoding, startsWithUtf8Bom } from "./text-encoding";

const BOM = Buffer.from([0xef, 0xbb, 0xbf]);
const utf8 = (text: string) => Buffer.from(text, "utf8");
const cp1252 = (text: string) => iconv.encode(text, "win1252");

describe("encoding sniffer", () => {
  it("takes valid UTF-8 as UTF-8, with or without BOM", () => {
    expect(sniffEncoding(utf8("NIR;Nom;Prénom\nÉloïse;Œuvre\n"))).toEqual({
      encoding: "utf-8",
      hasBom: false,
    });
    expect(sniffEncoding(Buffer.concat([BOM, utf8("NIR;Nom;Prénom\n")]))).toEqual({
      encoding: "utf-8",
      hasBom: true,
    });
  });

  it("takes plain ASCII (and an empty file) as UTF-8", () => {
    expect(sniffEncoding(utf8("NIR;Nom\n1840575123456;DUPONT\n")).encoding).toBe("utf-8");
    expect(sniffEncoding(Buffer.alloc(0))).toEqual({ encoding: "utf-8", hasBom: false });
  });

  it("takes bytes that are not UTF-8 as Windows-1252", () => {
    expect(sniffEncoding(cp1252("NIR;Nom;Prénom\nÉloïse;Gaëlle\n"))).toEqual({
      encoding: "windows-1252",
      hasBom: false,
    });
    // A single Windows-1252 byte far into otherwise ASCII text is enough.
    const text = Buffer.concat([utf8("a;b\n".repeat(10_000)), cp1252("é\n")]);
    expect(sniffEncoding(text).encoding).toBe("windows-1252");
  });

  it("refuses overlong forms, surrogates and stray continuation bytes as UTF-8", () => {
    for (const bytes of [[0xc0, 0xaf], [0xed, 0xa0, 0x80], [0x80], [0xff], [0xf4, 0x90, 0x80, 0x80]])
      expect(sniffEncoding(Buffer.from([0x41, ...bytes, 0x0a])).encoding).toBe("windows-1252");
  });

  it("holds a character cut at the end against UTF-8 only when the bytes are the whole file", () => {
    const cut = utf8("NIR;Prénom\nÉ").subarray(0, -1); // the é's first byte, its second missing
    expect(sniffEncoding(cut).encoding).toBe("windows-1252");
    expect(sniffEncoding(cut, { partial: true }).encoding).toBe("utf-8");
    // A beginning that is not UTF-8 before its end is Windows-1252 all the same.
    expect(sniffEncoding(cp1252("Prénom\n"), { partial: true }).encoding).toBe("windows-1252");
  });

  it("lets a BOM settle it, unless told to check the bytes after it", () => {
    const mixed = Buffer.concat([BOM, cp1252("Prénom\n")]);
    expect(sniffEncoding(mixed)).toEqual({ encoding: "utf-8", hasBom: true });
    expect(sniffEncoding(mixed, { checkAfterBom: true })).toEqual({ encoding: "windows-1252", hasBom: true });
    expect(sniffEncoding(Buffer.concat([BOM, utf8("Prénom\n")]), { checkAfterBom: true })).toEqual({
      encoding: "utf-8",
      hasBom: true,
    });
  });

  it("sees a BOM only at the very start", () => {
    expect(startsWithUtf8Bom(BOM)).toBe(true);
    expect(startsWithUtf8Bom(Buffer.concat([utf8(" "), BOM]))).toBe(false);
    expect(startsWithUtf8Bom(BOM.subarray(0, 2))).toBe(false);
    expect(sniffEncoding(Buffer.concat([utf8("NIR\n"), BOM])).hasBom).toBe(false);
  });
});
