import iconv from "iconv-lite";
import type { TextEncoding } from "./encodings";

export { ENCODING_LABELS, type TextEncoding } from "./encodings";

/**
 * The file reader's encodings, shared by the importers (rolls, paper opposition lists, KPI figures): which
 * text encoding a file's bytes are in, whether they start with a byte order mark, and one streaming decoder
 * for each.
 *
 * Legacy systems write UTF-8 (with or without BOM) or Windows-1252; Excel's « Texte Unicode » export writes
 * UTF-16 little-endian with a BOM (FF FE), tab-separated, CRLF. Bytes that are not valid UTF-8 and carry no
 * UTF-16 mark are taken as Windows-1252, which any byte sequence is.
 */

/** The three bytes of a UTF-8 byte order mark (EF BB BF), not part of the text. */
export const UTF8_BOM_LENGTH = 3;

export function startsWithUtf8Bom(bytes: Uint8Array): boolean {
  return bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf;
}

/** The UTF-16 encoding a byte order mark announces (FF FE little-endian, FE FF big-endian), if any. */
export function utf16Bom(bytes: Uint8Array): TextEncoding | null {
  if (bytes[0] === 0xff && bytes[1] === 0xfe) return "utf-16le";
  if (bytes[0] === 0xfe && bytes[1] === 0xff) return "utf-16be";
  return null;
}

/** The length of the byte order mark the bytes start with in `encoding` (0 when none). */
export function bomLength(bytes: Uint8Array, encoding: TextEncoding): number {
  if (encoding === "utf-8") return startsWithUtf8Bom(bytes) ? UTF8_BOM_LENGTH : 0;
  if (encoding === "windows-1252") return 0;
  return utf16Bom(bytes) === encoding ? 2 : 0;
}

export interface SniffedEncoding {
  encoding: TextEncoding;
  hasBom: boolean;
}

export interface SniffOptions {
  /**
   * The bytes are the file's beginning only (a roll's first MBs): a character cut short at their end is
   * not held against UTF-8. Otherwise they are the whole file, and must end on a whole character.
   */
  partial?: boolean;
  /**
   * With a UTF-8 BOM, the bytes after it must still be valid UTF-8, else the file is Windows-1252 (the KPI
   * figures). By default a BOM settles it: the file is UTF-8, and a byte that is not is the decoder's to
   * report (a roll is refused with its offset; a paper list reads it as U+FFFD).
   */
  checkAfterBom?: boolean;
}

export function sniffEncoding(bytes: Uint8Array, options: SniffOptions = {}): SniffedEncoding {
  const utf16 = utf16Bom(bytes);
  if (utf16) return { encoding: utf16, hasBom: true };
  const unmarked = utf16WithoutBom(bytes);
  if (unmarked) return { encoding: unmarked, hasBom: false };
  const hasBom = startsWithUtf8Bom(bytes);
  if (hasBom && !options.checkAfterBom) return { encoding: "utf-8", hasBom };
  const text = hasBom ? bytes.subarray(UTF8_BOM_LENGTH) : bytes;
  return { encoding: isUtf8(text, options.partial ?? false) ? "utf-8" : "windows-1252", hasBom };
}

/**
 * UTF-16 text without a BOM (some exports leave it out): Latin text in UTF-16 has a zero byte in nearly
 * every pair, on the same side. Text in the other encodings has none (a NUL is no character of a CSV).
 */
export function utf16WithoutBom(bytes: Uint8Array): TextEncoding | null {
  const n = Math.min(bytes.length, 4096) & ~1;
  if (n < 4) return null;
  let zeroEven = 0;
  let zeroOdd = 0;
  for (let i = 0; i < n; i += 2) {
    if (bytes[i] === 0) zeroEven++;
    if (bytes[i + 1] === 0) zeroOdd++;
  }
  const pairs = n / 2;
  if (zeroOdd > pairs * 0.6 && zeroEven === 0) return "utf-16le";
  if (zeroEven > pairs * 0.6 && zeroOdd === 0) return "utf-16be";
  return null;
}

function isUtf8(bytes: Uint8Array, partial: boolean): boolean {
  try {
    new TextDecoder("utf-8", { fatal: true }).decode(bytes, { stream: partial });
    return true;
  } catch {
    return false;
  }
}

/** A streaming decoder: bytes in, in any pieces, text out; `end()` flushes a character cut short. */
export interface StreamDecoder {
  write(bytes: Uint8Array): string;
  end(): string;
}

/**
 * The one decoder for each encoding. UTF-8 goes through the platform's TextDecoder (strict with `fatal`: a
 * roll is refused at the first invalid byte); Windows-1252 and UTF-16 through iconv-lite, because Node 20's
 * TextDecoder("windows-1252") maps 0x80–0x9F to control characters instead of € ‚ … Œ ‘ ’ “ ” – — (names such
 * as « Œuvre » lost their first letter). A leading byte order mark is not part of the text.
 */
export function createStreamDecoder(
  encoding: TextEncoding,
  options: { fatal?: boolean } = {},
): StreamDecoder {
  if (encoding === "utf-8") {
    const decoder = new TextDecoder("utf-8", { fatal: options.fatal ?? false });
    return {
      write: (bytes) => decoder.decode(bytes, { stream: true }),
      end: () => decoder.decode(),
    };
  }
  const decoder = iconv.getDecoder(ICONV_NAMES[encoding], { stripBOM: true });
  return {
    write: (bytes) => decoder.write(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)),
    end: () => decoder.end() ?? "",
  };
}

const ICONV_NAMES: Record<Exclude<TextEncoding, "utf-8">, string> = {
  "windows-1252": "win1252",
  "utf-16le": "utf16le",
  "utf-16be": "utf16be",
};

/** Decodes a whole file's bytes (a paper list, a KPI file), its BOM left out. */
export function decodeText(bytes: Uint8Array, encoding: TextEncoding): string {
  const decoder = createStreamDecoder(encoding);
  const start = bomLength(bytes, encoding);
  return decoder.write(bytes.subarray(start)) + decoder.end();
}

/** Encodes text back into a file's encoding (the rejects file goes back in the sender's own). */
export function encodeText(text: string, encoding: TextEncoding): Buffer {
  return encoding === "utf-8" ? Buffer.from(text, "utf8") : iconv.encode(text, ICONV_NAMES[encoding]);
}
