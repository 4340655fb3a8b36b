import { DomainError } from "../domain-error";
import { type CsvRecordSplitter, type CsvTail, isBlank, type RecordSink } from "../files/csv-records";

/** The file is not the UTF-8 its beginning announced. */
export class EncodingError extends DomainError {
  constructor(message: string) {
    super("invalid", message);
  }
}

/** Offered each quote-free line of a record boundary first: true when it checked and wrote the row itself. */
export type LineReader = (bytes: Buffer, start: number, end: number, line: number) => boolean;

/**
 * Reads the records of a UTF-8 roll from its bytes, line by line, with the same records, lines and raw text
 * as CsvRecordSplitter over the decoded file:
 * - a line with no quote, where a record starts, is offered to `fast` (the byte path, row-bytes.ts); if it
 *   declines, the line is decoded and split as the splitter splits a quote-free line;
 * - a line with a quote, or one inside a quoted record, is decoded and pushed into the splitter itself,
 *   which gives the same records fed a line at a time as fed the whole text (its tests cut text anywhere).
 * Structural bytes (delimiter, quote, CR, LF) are ASCII and never part of a multi-byte character, so lines
 * are found in the bytes before decoding. Every decoded line is checked strictly: a byte that is not UTF-8
 * stops the import with its offset in the file.
 */
export class Utf8RecordReader {
  /**
   * The file's last line so far, its newline not read yet: its pieces, joined once the newline comes (a
   * line longer than a read, e.g. a file whose lines end in CR alone, is not copied again at every read).
   */
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  /** File offset of the next byte pushed. */
  private offset = 0;
  // The file's BOM is skipped by push(); a U+FEFF at the start of any other line is text.
  private readonly decoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

  constructor(
    private readonly splitter: CsvRecordSplitter,
    private readonly delimiter: string,
    private readonly fast: LineReader,
    private readonly sink: RecordSink,
    /** The file starts with a UTF-8 BOM (three bytes, not part of the header). */
    private bom = false,
  ) {}

  push(bytes: Buffer): void {
    let chunk = bytes;
    if (this.bom) {
      this.bom = false;
      this.offset += 3;
      chunk = bytes.subarray(3);
    }
    const base = this.offset;
    this.offset += chunk.length;
    let from = 0;
    if (this.pendingBytes > 0) {
      const nl = chunk.indexOf(10);
      if (nl < 0) {
        this.keep(chunk);
        return;
      }
      // The line left over completed by the chunk's first: a few bytes copied, not the chunk.
      const head = Buffer.concat([...this.pending, chunk.subarray(0, nl + 1)]);
      this.lines(head, 0, head.length, base - this.pendingBytes);
      this.pending = [];
      this.pendingBytes = 0;
      from = nl + 1;
    }
    const last = chunk.lastIndexOf(10);
    if (last >= from) this.lines(chunk, from, last + 1, base);
    const rest = Math.max(from, last + 1);
    // Copied: the stream's chunk is not kept alive for a few bytes of it.
    if (rest < chunk.length) this.keep(Buffer.from(chunk.subarray(rest)));
  }

  private keep(piece: Buffer): void {
    this.pending.push(piece);
    this.pendingBytes += piece.length;
  }

  /** At end of file: the last line if it has no newline, then the splitter's end (a record cut short). */
  end(): CsvTail | null {
    if (this.pendingBytes > 0) {
      const last = Buffer.concat(this.pending);
      this.splitter.push(this.decode(last, 0, last.length, this.offset - last.length), this.sink);
      this.pending = [];
      this.pendingBytes = 0;
    }
    return this.splitter.end(this.sink);
  }

  /** The lines of b[from, to), which ends with a newline; `base` is b[0]'s offset in the file. */
  private lines(b: Buffer, from: number, to: number, base: number): void {
    const splitter = this.splitter;
    let pos = from;
    // The next quote at or after `pos` (-1: none left), searched again only once passed.
    let quote = -2;
    while (pos < to) {
      const nl = b.indexOf(10, pos);
      if (quote !== -1 && quote < pos) quote = b.indexOf(34, pos);
      if (splitter.holdsRecord || (quote >= 0 && quote < nl)) {
        splitter.push(this.decode(b, pos, nl + 1, base), this.sink);
      } else {
        const end = nl > pos && b[nl - 1] === 13 ? nl - 1 : nl;
        const line = splitter.nextLine;
        if (end > pos && !this.fast(b, pos, end, line)) {
          const raw = this.decode(b, pos, end, base);
          if (!isBlank(raw)) this.sink(raw.split(this.delimiter), line, raw);
        }
        splitter.nextLine = line + 1;
      }
      pos = nl + 1;
    }
  }

  private decode(b: Buffer, start: number, end: number, base: number): string {
    try {
      return this.decoder.decode(b.subarray(start, end));
    } catch {
      throw new EncodingError(
        `encodage incohérent : le début du fichier est en UTF-8 mais la ligne commençant à l'octet ${base + start + 1} ne l'est pas (fichier mélangeant UTF-8 et Windows-1252 ?)`,
      );
    }
  }
}
