/**
 * Streaming CSV record splitter over decoded text. It tracks the PHYSICAL line where each record starts
 * (a quoted field may span lines), keeps the record's original text (for the rejects file), skips blank
 * lines, and reports a record cut short by the end of the file instead of inventing its missing part.
 *
 * Fast path: a line without any quote is one record, split natively. Only lines with quotes go through
 * the character loop.
 */
/** Called for every record, in file order; the record's arrays are not kept, so memory stays flat. */
export type RecordSink = (fields: string[], line: number, raw: string) => void;

export interface CsvTail {
  /** The file ends inside a quoted field: the record starting at `line` is cut short. */
  unterminatedQuote: boolean;
  line: number;
  raw: string;
}

export class CsvRecordSplitter {
  private rest = "";
  /**
   * The physical line where the next record starts (the file's first is 1). The byte reader
   * (byte-records.ts) moves it on for the lines it reads itself.
   */
  nextLine = 1;
  constructor(private readonly delimiter: string) {}

  /** Whether a record started in the text pushed so far is still waiting for its end. */
  get holdsRecord(): boolean {
    return this.rest !== "";
  }

  /** Splits every complete record of `text` (appended to what was left over) into `out`. */
  push(text: string, sink: RecordSink): void {
    if (this.rest === "") {
      this.keep(text, this.records(text, sink, 0));
      return;
    }
    // The record left over from the previous text is completed on its own, up to the first newline of this
    // text: prefixing the whole text with it would copy all of the text into a new string.
    const nl = text.indexOf("\n");
    if (nl < 0) {
      const buf = this.rest + text;
      this.keep(buf, this.records(buf, sink, 0));
      return;
    }
    const head = this.rest + text.slice(0, nl + 1);
    const pos = this.records(head, sink, 0);
    if (pos < head.length) {
      // A quoted field runs on past that newline (rare): the leftover and the rest of the text together.
      const buf = head.slice(pos) + text.slice(nl + 1);
      this.keep(buf, this.records(buf, sink, 0));
      return;
    }
    this.keep(text, this.records(text, sink, nl + 1));
  }

  /** What is left of `buf` from `pos` waits for the next text. */
  private keep(buf: string, pos: number): void {
    this.rest = pos < buf.length ? buf.slice(pos) : "";
  }

  /** Sends every complete record of `buf` from `start` to the sink; returns where the first incomplete one starts. */
  private records(buf: string, sink: RecordSink, start: number): number {
    const delim = this.delimiter;
    let pos = start;
    const len = buf.length;
    // The next quote at or after `pos` (-1: none left in the buffer), searched again only once passed:
    // searching from every line would rescan the rest of a quote-free buffer for each of its lines.
    let quote = -2;
    while (pos < len) {
      const nl = buf.indexOf("\n", pos);
      if (nl < 0) break;
      if (quote !== -1 && quote < pos) quote = buf.indexOf('"', pos);
      if (quote < 0 || quote > nl) {
        const end = nl > pos && buf.charCodeAt(nl - 1) === 13 ? nl - 1 : nl;
        if (end > pos) {
          const raw = buf.slice(pos, end);
          if (!isBlank(raw)) sink(raw.split(delim), this.nextLine, raw);
        }
        this.nextLine++;
        pos = nl + 1;
        continue;
      }
      const parsed = parseQuoted(buf, pos, delim, false);
      if (!parsed) break;
      sink(parsed.fields, this.nextLine, buf.slice(pos, parsed.rawEnd));
      this.nextLine += parsed.newlines + 1;
      pos = parsed.next;
    }
    return pos;
  }

  /** At end of file: the last record when it has no final newline, or the cut-short record. */
  end(sink: RecordSink): CsvTail | null {
    const buf = this.rest;
    this.rest = "";
    if (isBlank(buf)) return null;
    const parsed = parseQuoted(buf, 0, this.delimiter, true);
    if (!parsed) return { unterminatedQuote: true, line: this.nextLine, raw: buf.replace(/\r?\n$/, "") };
    sink(parsed.fields, this.nextLine, buf.slice(0, parsed.rawEnd));
    this.nextLine += parsed.newlines + 1;
    return null;
  }

  get linesSeen(): number {
    return this.nextLine - 1;
  }
}

export function isBlank(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c !== 32 && c !== 9 && c !== 13 && c !== 10) return false;
  }
  return true;
}

/**
 * RFC 4180 record starting at `start`: returns null when the buffer ends before the record does (more text
 * needed, or — at end of file — an unterminated quote). Lenient on stray quotes inside unquoted fields.
 */
function parseQuoted(
  buf: string,
  start: number,
  delim: string,
  atEof: boolean,
): { fields: string[]; next: number; rawEnd: number; newlines: number } | null {
  const fields: string[] = [];
  const d = delim.charCodeAt(0);
  let i = start;
  let newlines = 0;
  const len = buf.length;
  for (;;) {
    // One field.
    if (i < len && buf.charCodeAt(i) === 34) {
      let value = "";
      let segment = i + 1;
      i++;
      for (;;) {
        const q = buf.indexOf('"', i);
        if (q < 0) return null;
        for (let k = i; k < q; k++) if (buf.charCodeAt(k) === 10) newlines++;
        if (q + 1 < len && buf.charCodeAt(q + 1) === 34) {
          value += buf.slice(segment, q + 1);
          i = q + 2;
          segment = i;
          continue;
        }
        if (q + 1 >= len && !atEof) return null;
        value += buf.slice(segment, q);
        i = q + 1;
        break;
      }
      // Anything between the closing quote and the delimiter is kept as-is (lenient).
      while (i < len) {
        const c = buf.charCodeAt(i);
        if (c === d || c === 10 || c === 13) break;
        value += buf[i];
        i++;
      }
      fields.push(value);
    } else {
      let j = i;
      while (j < len) {
        const c = buf.charCodeAt(j);
        if (c === d || c === 10) break;
        j++;
      }
      let end = j;
      if (end > i && buf.charCodeAt(end - 1) === 13 && (j >= len || buf.charCodeAt(j) === 10)) end--;
      fields.push(buf.slice(i, end));
      i = j;
    }
    if (i >= len) {
      if (!atEof) return null;
      return { fields, next: len, rawEnd: len, newlines };
    }
    const c = buf.charCodeAt(i);
    if (c === d) {
      i++;
      continue;
    }
    if (c === 13 && i + 1 < len && buf.charCodeAt(i + 1) === 10) {
      return { fields, next: i + 2, rawEnd: i, newlines };
    }
    if (c === 13 && i + 1 >= len && !atEof) return null;
    if (c === 10) return { fields, next: i + 1, rawEnd: i, newlines };
    // A lone CR ends the record too.
    return { fields, next: i + 1, rawEnd: i, newlines };
  }
}
