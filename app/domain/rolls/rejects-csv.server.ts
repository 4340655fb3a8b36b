import iconv from "iconv-lite";
import type { DB } from "../../../db/connection";
import { reasonLabel } from "./reasons";

/**
 * The refused rows as a CSV the sender can fix and send back: in the file's own encoding and delimiter,
 * columns `ligne`, `champ`, `motif`, then the original header and the original values of the row.
 * Streams in pages of 5 000 (keyset on the line), so a million rejects never sit in memory.
 */
export async function* rejectsCsv(db: DB, rollId: number): AsyncGenerator<Buffer> {
  const roll = await db
    .selectFrom("roll")
    .select(["encoding", "delimiter", "has_bom", "line_ending", "columns"])
    .where("id", "=", rollId)
    .executeTakeFirstOrThrow();
  const delimiter = roll.delimiter ?? ";";
  const eol = roll.line_ending === "CRLF" ? "\r\n" : "\n";
  const encode = (text: string) =>
    roll.encoding === "windows-1252" ? iconv.encode(text, "win1252") : Buffer.from(text, "utf8");
  const header = ((roll.columns ?? {}) as { header?: string[] }).header ?? [];
  const cell = (v: string) =>
    v.includes('"') || v.includes(delimiter) || v.includes("\n") || v.includes("\r")
      ? `"${v.replace(/"/g, '""')}"`
      : v;
  let text = ["ligne", "champ", "motif", ...header].map(cell).join(delimiter) + eol;
  if (roll.has_bom && roll.encoding !== "windows-1252") yield Buffer.from([0xef, 0xbb, 0xbf]);
  let after = 0;
  for (;;) {
    const page = await db
      .selectFrom("roll_reject")
      .select(["line", "field", "reason", "message", "raw"])
      .where("roll_id", "=", rollId)
      .where("severity", "=", "error")
      .where("line", ">", after)
      .orderBy("line")
      .limit(5000)
      .execute();
    for (const r of page) {
      // The original record text is already in the file's delimiter and quoting.
      text += `${r.line}${delimiter}${cell(r.field ?? "")}${delimiter}${cell(`${reasonLabel(r.reason)} : ${r.message}`)}${delimiter}${r.raw ?? ""}${eol}`;
    }
    yield encode(text);
    text = "";
    if (page.length < 5000) return;
    after = page[page.length - 1].line;
  }
}
