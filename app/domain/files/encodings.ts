/**
 * The encodings the file reader knows, and how pages and messages name them. No imports: the pages that
 * state a file's format use it in the browser (the decoders are in text-encoding.ts).
 */
export type TextEncoding = "utf-8" | "windows-1252" | "utf-16le" | "utf-16be";

/** How the pages and messages name an encoding. */
export const ENCODING_LABELS: Record<TextEncoding, string> = {
  "utf-8": "UTF-8",
  "windows-1252": "Windows-1252",
  "utf-16le": "UTF-16 LE (« Texte Unicode » d'Excel)",
  "utf-16be": "UTF-16 BE",
};
