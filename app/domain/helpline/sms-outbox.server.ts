import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import type { SmsGateway } from "./sms-gateway.server";
import { smsLength } from "./sms-length";

/** The dev and demo SMS sink: one JSON file per message under <OUTBOX_DIR>/sms/, readable only by its owner. */
export function smsOutboxSink(outboxDir: string): SmsGateway {
  return {
    async send(message) {
      const dir = path.join(outboxDir, "sms");
      mkdirSync(dir, { recursive: true });
      const id = `sms-${Date.now()}-${message.idempotencyKey.replace(/[^\w-]/g, "_")}`;
      const { encoding, parts } = smsLength(message.text);
      writeFileSync(
        path.join(dir, `${id}.json`),
        JSON.stringify(
          { id, to: message.to, text: message.text, encoding, parts, at: new Date().toISOString() },
          null,
          2,
        ),
        { mode: 0o600 },
      );
      return { ok: true, providerId: id };
    },
  };
}

export interface OutboxSms {
  id: string;
  to: string;
  text: string;
  parts: number;
  at: string;
}

/** The newest SMS of the dev sink first, for the Outbox page; a file that is not one of ours is skipped. */
export function listSmsOutbox(outboxDir: string, limit: number): { total: number; messages: OutboxSms[] } {
  const dir = path.join(outboxDir, "sms");
  if (!existsSync(dir)) return { total: 0, messages: [] };
  const files = readdirSync(dir)
    .filter((f) => f.endsWith(".json"))
    .sort()
    .reverse();
  const messages: OutboxSms[] = [];
  for (const file of files.slice(0, limit)) {
    try {
      const raw = JSON.parse(readFileSync(path.join(dir, file), "utf8")) as Partial<OutboxSms>;
      if (typeof raw.to !== "string" || typeof raw.text !== "string" || typeof raw.at !== "string") continue;
      messages.push({
        id: String(raw.id ?? file),
        to: raw.to,
        text: raw.text,
        parts: Number(raw.parts ?? 1),
        at: raw.at,
      });
    } catch {
      // A half-written or foreign file: the sink writes whole files, so this is not ours to show.
    }
  }
  return { total: files.length, messages };
}
