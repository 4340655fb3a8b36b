import { utf16Bom, utf16WithoutBom } from "./text-encoding";

/**
 * What a file is, from its first bytes, before anyone reads it as CSV: a text file, an Excel workbook, or
 * something else that no importer reads (a PDF, an image, an archive…), named so that the refusal says
 * what was sent instead of "colonnes obligatoires absentes".
 */
export type FileKind = { kind: "text" } | { kind: "xlsx" } | { kind: "other"; label: string; hint?: string };

const XLSX_EXPORT_HINT =
  "ouvrez-le dans Excel ou LibreOffice et enregistrez-le au format « CSV UTF-8 (délimité par des points-virgules) »";

function startsWith(bytes: Uint8Array, signature: number[], at = 0): boolean {
  return signature.every((b, i) => bytes[at + i] === b);
}

function ascii(bytes: Uint8Array, max = 4096): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, Math.min(bytes.byteLength, max)).toString("latin1");
}

/** `head`: the file's first bytes (a few KB are enough: the signatures and a zip's first entry names). */
export function sniffFileKind(head: Uint8Array): FileKind {
  if (startsWith(head, [0x50, 0x4b, 0x03, 0x04])) {
    // A zip's local headers carry the entry names: an Office Open XML workbook has `xl/` parts.
    const names = ascii(head, 65536);
    if (names.includes("xl/") || names.includes("[Content_Types].xml")) {
      if (names.includes("word/")) return { kind: "other", label: "un document Word (.docx)" };
      if (names.includes("ppt/")) return { kind: "other", label: "une présentation PowerPoint (.pptx)" };
      return { kind: "xlsx" };
    }
    if (names.includes("application/vnd.oasis.opendocument.spreadsheet"))
      return { kind: "other", label: "un classeur OpenDocument (.ods)", hint: XLSX_EXPORT_HINT };
    if (names.includes("application/vnd.oasis.opendocument"))
      return { kind: "other", label: "un document OpenDocument" };
    return {
      kind: "other",
      label: "une archive ZIP",
      hint: "décompressez-la et envoyez le fichier CSV qu'elle contient",
    };
  }
  if (startsWith(head, [0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1]))
    return { kind: "other", label: "un classeur Excel 97-2003 (.xls)", hint: XLSX_EXPORT_HINT };
  if (startsWith(head, [0x25, 0x50, 0x44, 0x46])) return { kind: "other", label: "un document PDF" };
  if (startsWith(head, [0x89, 0x50, 0x4e, 0x47])) return { kind: "other", label: "une image PNG" };
  if (startsWith(head, [0xff, 0xd8, 0xff])) return { kind: "other", label: "une image JPEG" };
  if (startsWith(head, [0x47, 0x49, 0x46, 0x38])) return { kind: "other", label: "une image GIF" };
  if (startsWith(head, [0x1f, 0x8b]))
    return {
      kind: "other",
      label: "une archive gzip",
      hint: "décompressez-la et envoyez le fichier CSV qu'elle contient",
    };
  if (startsWith(head, [0x37, 0x7a, 0xbc, 0xaf])) return { kind: "other", label: "une archive 7-Zip" };
  if (startsWith(head, [0x52, 0x61, 0x72, 0x21])) return { kind: "other", label: "une archive RAR" };
  if (looksBinary(head)) return { kind: "other", label: "un fichier binaire (pas du texte)" };
  return { kind: "text" };
}

/**
 * NUL bytes are no part of a text file — unless it is UTF-16, where every Latin character has a zero byte,
 * on the same side of each pair. Other control bytes are left to the row checks (a stray one in a name is
 * that line's problem, not the file's); binary formats without a signature above are full of NULs.
 */
function looksBinary(head: Uint8Array): boolean {
  if (utf16Bom(head) || utf16WithoutBom(head)) return false;
  const n = Math.min(head.length, 8192);
  let nul = 0;
  for (let i = 0; i < n; i++) if (head[i] === 0) nul++;
  return nul > Math.max(1, n / 100);
}

/** The refusal of a file no importer reads: names what it is, what was expected, and what to do. */
export function wrongKindMessage(kind: Extract<FileKind, { kind: "other" }>, expected: string): string {
  return `ce fichier est ${kind.label}, pas ${expected}${kind.hint ? ` : ${kind.hint}` : ""}`;
}
