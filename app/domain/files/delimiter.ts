export type Delimiter = ";" | "," | "\t";

/**
 * The delimiter of a delimited text file, from its first line: the most frequent of `;` `,` and tab outside
 * quoted fields; `;` (the French spreadsheets' choice) when none is more frequent.
 */
export function detectDelimiter(headerLine: string): Delimiter {
  let inQuotes = false;
  const counts = { ";": 0, ",": 0, "\t": 0 };
  for (const ch of headerLine) {
    if (ch === '"') inQuotes = !inQuotes;
    else if (!inQuotes && (ch === ";" || ch === "," || ch === "\t")) counts[ch]++;
  }
  if (counts["\t"] > counts[";"] && counts["\t"] > counts[","]) return "\t";
  return counts[","] > counts[";"] ? "," : ";";
}
