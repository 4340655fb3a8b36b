import { mkdir, readdir, readFile, rename } from "node:fs/promises";
import path from "node:path";
import type PgBoss from "pg-boss";
import type { DB } from "../../../db/connection";
import { parseDsn } from "./bounce-dsn.server";
import type { EmailEvent } from "./bounce-event";
import { applyEmailEvents, type EmailEventsResult } from "./email-events.server";

/** Reports read per run: the job runs every minute, so a burst of bounces drains over a few runs. */
const MAX_FILES = 500;
const MAX_FILE_BYTES = 10 * 1024 * 1024;

export interface MaildirRun extends EmailEventsResult {
  files: number;
  unreadable: number;
}

/**
 * The DSN mailbox (DSN_MAILDIR, a Maildir the relay's bounce address delivers to): each file of `new/` is
 * parsed (bounce-dsn.server.ts), the events of the whole run applied at once, then the files move to `cur/`
 * (read) — unreadable ones, or reports that are not delivery-status ones, to `error/` for a person to look at.
 * Events are applied before files move: a crash in between reads them again, and the events are duplicates.
 */
export async function readDsnMaildir(
  db: DB,
  deps: { boss: PgBoss },
  params: { dir: string },
): Promise<MaildirRun> {
  const fresh = path.join(params.dir, "new");
  const cur = path.join(params.dir, "cur");
  const errors = path.join(params.dir, "error");
  await Promise.all([
    mkdir(fresh, { recursive: true }),
    mkdir(cur, { recursive: true }),
    mkdir(errors, { recursive: true }),
  ]);
  const names = (await readdir(fresh, { withFileTypes: true }))
    .filter((e) => e.isFile() && !e.name.startsWith("."))
    .map((e) => e.name)
    .sort()
    .slice(0, MAX_FILES);
  const events: EmailEvent[] = [];
  const read: string[] = [];
  const unreadable: string[] = [];
  for (const name of names) {
    const content = await readFile(path.join(fresh, name));
    const parsed = content.length > MAX_FILE_BYTES ? null : await parseDsn(content);
    if (parsed?.ok) {
      events.push(...parsed.events);
      read.push(name);
    } else unreadable.push(name);
  }
  const result = await applyEmailEvents(db, deps, events);
  // Maildir's "seen" flag on the name, as a mail client would.
  for (const name of read) await rename(path.join(fresh, name), path.join(cur, `${name.split(":")[0]}:2,S`));
  for (const name of unreadable) await rename(path.join(fresh, name), path.join(errors, name));
  return { ...result, files: names.length, unreadable: unreadable.length };
}
