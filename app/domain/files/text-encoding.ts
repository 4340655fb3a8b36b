/**
 * The file reader's encoding sniffer, shared by the importers (rolls, paper opposition lists, KPI
 * figures): which text encoding a file's bytes are in, and whether they start with a UTF-8 byte order mark.
 * Legacy systems write UTF-8 (with or without BOM) or Windows-1252; bytes that are not valid UTF-8 are taken
 * as Windows-1252, which any byte sequence is. Each importer decodes the text itself (a roll does it as it
 * streams, from the bytes where it can).
 */
export type TextEncoding = "utf-8" | "windows-1252";

/** The three bytes of a UTF-8 byte order mark (EF BB BF), not part of the text. */
export const UTF8_BOM_LENGTH = 3;

export function startsWithUtf8Bom(bytes: Uint8Array): boolean {
  return bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf;
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
   * With a BOM, the bytes after it must still be valid UTF-8, else the file is Windows-1252 (the KPI
   * figures). By default a BOM settles it: the file is UTF-8, and a byte that is not is the decoder's to
   * report (a roll is refused with its offset; a paper list reads it as U+FFFD).
   */
  checkAfterBom?: boolean;
}

export function sniffEncoding(bytes: Uint8Array, options: SniffOptions = {}): SniffedEncoding {
  const hasBom = startsWithUtf8Bom(bytes);
  if (hasBom && !options.checkAfterBom) return { encoding: "utf-8", hasBom };
  const text = hasBom ? bytes.subarray(UTF8_BOM_LENGTH) : bytes;
  return { encoding: isUtf8(text, options.partial ?? false) ? "utf-8" : "windows-1252", hasBom };
}

function isUtf8(bytes: Uint8Array, partial: boolean): boolean {
  try {
    new TextDecoder("utf-8", { fatal: true }).decode(bytes, { stream: partial });
    return true;
  } catch {
    return false;
  }
}
