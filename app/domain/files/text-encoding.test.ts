import iconv from "iconv-lite";
import { describe, expect, it } from "vitest";
import {
  bomLength,
  createStreamDecoder,
  decodeText,
  encodeText,
  sniffEncoding,
  startsWithUtf8Bom,
  type TextEncoding,
} from "./text-encoding";

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

describe("UTF-16 and the decoders", () => {
  it("reads UTF-16 by its byte order mark, or by its zero bytes without one", () => {
    const le = Buffer.from("NIR\tNom\r\nŒuvre\r\n", "utf16le");
    const be = Buffer.from(le).swap16();
    expect(sniffEncoding(Buffer.concat([Buffer.from([0xff, 0xfe]), le]))).toEqual({
      encoding: "utf-16le",
      hasBom: true,
    });
    expect(sniffEncoding(Buffer.concat([Buffer.from([0xfe, 0xff]), be]))).toEqual({
      encoding: "utf-16be",
      hasBom: true,
    });
    expect(sniffEncoding(le)).toEqual({ encoding: "utf-16le", hasBom: false });
    expect(sniffEncoding(be)).toEqual({ encoding: "utf-16be", hasBom: false });
  });

  it("decodes every encoding in pieces cut anywhere, its BOM left out", () => {
    const text = "NIR;Nom;Prénom\r\n1;Œuvre;Zoë “€” – l’été\r\n";
    const files: Array<[TextEncoding, Buffer]> = [
      ["utf-8", Buffer.concat([BOM, utf8(text)])],
      ["windows-1252", cp1252(text)],
      ["utf-16le", Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, "utf16le")])],
      ["utf-16be", Buffer.concat([Buffer.from([0xfe, 0xff]), Buffer.from(text, "utf16le").swap16()])],
    ];
    for (const [encoding, bytes] of files) {
      expect(decodeText(bytes, encoding), encoding).toBe(text);
      for (const cut of [1, 3, 7]) {
        const decoder = createStreamDecoder(encoding);
        let out = "";
        for (let at = 0; at < bytes.length; at += cut) out += decoder.write(bytes.subarray(at, at + cut));
        expect(out + decoder.end(), `${encoding} by ${cut}`).toBe(text);
      }
      expect(bomLength(bytes, encoding) > 0).toBe(encoding !== "windows-1252");
    }
  });

  it("encodes back into the sender's encoding", () => {
    expect(encodeText("Œ€", "windows-1252")).toEqual(Buffer.from([0x8c, 0x80]));
    expect(encodeText("é", "utf-16le")).toEqual(Buffer.from([0xe9, 0x00]));
    expect(encodeText("é", "utf-16be")).toEqual(Buffer.from([0x00, 0xe9]));
  });
});
