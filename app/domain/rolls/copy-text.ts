/**
 * PostgreSQL COPY text written straight into UTF-8 bytes: fields escaped (backslash, tab, newline, carriage
 * return) and encoded in one pass over their characters. Building each row as a JS string and encoding the
 * chunk afterwards cost the parse worker more than the validation itself (ropes of small strings to flatten,
 * then a second pass to encode).
 */
export class CopyTextWriter {
  private buf: Uint8Array;
  private pos = 0;

  constructor(capacity = 512 * 1024) {
    this.buf = new Uint8Array(capacity);
  }

  get length(): number {
    return this.pos;
  }

  private ensure(extra: number): void {
    if (this.pos + extra <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.pos + extra) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.pos));
    this.buf = next;
  }

  /** A text field, escaped for COPY. Lone surrogates become U+FFFD, as TextEncoder does. */
  field(s: string): this {
    // At most 3 bytes per UTF-16 unit (4 per surrogate pair, i.e. 2 per unit; escapes take 2).
    this.ensure(s.length * 3);
    const b = this.buf;
    const p = this.pos;
    const n = s.length;
    // Most fields, or their start, are ASCII with nothing to escape: copied by a tight loop up to the first
    // other character, from which the general loop goes on.
    let i = 0;
    for (; i < n; i++) {
      const c = s.charCodeAt(i);
      if (c >= 0x80 || c === 92 || c <= 13) break;
      b[p + i] = c;
    }
    this.pos = i === n ? p + n : this.encode(s, i, p + i);
    return this;
  }

  /** `s` from `start` escaped and encoded at `at`; returns where it ends. */
  private encode(s: string, start: number, at: number): number {
    const b = this.buf;
    let p = at;
    for (let i = start; i < s.length; i++) {
      const c = s.charCodeAt(i);
      if (c < 0x80) {
        if (c === 92 || c === 9 || c === 10 || c === 13) {
          b[p++] = 92;
          b[p++] = c === 92 ? 92 : c === 9 ? 116 : c === 10 ? 110 : 114;
        } else b[p++] = c;
      } else if (c < 0x800) {
        b[p++] = 0xc0 | (c >> 6);
        b[p++] = 0x80 | (c & 0x3f);
      } else if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
        const d = s.charCodeAt(i + 1);
        if (d >= 0xdc00 && d <= 0xdfff) {
          const cp = 0x10000 + ((c - 0xd800) << 10) + (d - 0xdc00);
          b[p++] = 0xf0 | (cp >> 18);
          b[p++] = 0x80 | ((cp >> 12) & 0x3f);
          b[p++] = 0x80 | ((cp >> 6) & 0x3f);
          b[p++] = 0x80 | (cp & 0x3f);
          i++;
        } else {
          b[p++] = 0xef;
          b[p++] = 0xbf;
          b[p++] = 0xbd;
        }
      } else if (c >= 0xd800 && c <= 0xdfff) {
        b[p++] = 0xef;
        b[p++] = 0xbf;
        b[p++] = 0xbd;
      } else {
        b[p++] = 0xe0 | (c >> 12);
        b[p++] = 0x80 | ((c >> 6) & 0x3f);
        b[p++] = 0x80 | (c & 0x3f);
      }
    }
    return p;
  }

  /**
   * Bytes of the file copied as they are: UTF-8 that the caller checked needs no escaping (row-bytes.ts).
   * Fields are short: a loop beats a subarray and a set() per field.
   */
  bytes(source: Uint8Array, start: number, end: number): this {
    this.ensure(end - start);
    const b = this.buf;
    let p = this.pos;
    for (let i = start; i < end; i++) b[p++] = source[i];
    this.pos = p;
    return this;
  }

  /** A text field or SQL NULL. */
  nullable(s: string | null): this {
    return s === null ? this.raw("\\N") : this.field(s);
  }

  /** ASCII known to need no escaping (digits, NIRs, ISO dates, codes). */
  raw(s: string): this {
    this.ensure(s.length);
    const b = this.buf;
    let p = this.pos;
    for (let i = 0; i < s.length; i++) b[p++] = s.charCodeAt(i);
    this.pos = p;
    return this;
  }

  /** `String(n)`; a line number or an id is written digit by digit, without a string per row. */
  int(n: number): this {
    if (!(n >= 0 && n <= 0x7fffffff && Math.floor(n) === n)) return this.raw(String(n));
    let digits = 1;
    for (let rest = n; rest >= 10; rest = Math.floor(rest / 10)) digits++;
    return this.padded(n, digits);
  }

  /** `n` (a non-negative integer of at most `width` digits) with leading zeros to `width` digits. */
  padded(n: number, width: number): this {
    this.ensure(width);
    const b = this.buf;
    let rest = n;
    for (let p = this.pos + width - 1; p >= this.pos; p--) {
      b[p] = 48 + (rest % 10);
      rest = Math.floor(rest / 10);
    }
    this.pos += width;
    return this;
  }

  tab(): this {
    this.ensure(1);
    this.buf[this.pos++] = 9;
    return this;
  }

  endRow(): this {
    this.ensure(1);
    this.buf[this.pos++] = 10;
    return this;
  }

  /** The bytes written so far, in a buffer of their own (transferable); the writer starts over. */
  take(): Uint8Array {
    const out = this.buf.slice(0, this.pos);
    this.pos = 0;
    return out;
  }
}
