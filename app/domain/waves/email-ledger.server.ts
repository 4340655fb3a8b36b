import { sql } from "kysely";
import type { DB } from "../../../db/connection";
import { messageIdFor } from "./email-message.server";
import {
  type EmailProvider,
  EmailTransientError,
  type EmailTransport,
  type Handover,
  type SendResult,
} from "./email-provider.server";

/**
 * The submission ledger around a transport (ADR 025). Before a message is handed over, its key is written as
 * `submitting` and committed; after the relay's reply the row says `accepted`, `refused` or `unknown`. A key
 * already in the ledger is never handed over again: accepted answers as a duplicate, refused as the same
 * refusal, submitting or unknown as unknown. A transport that gives up without handing anything over
 * (EmailTransientError) deletes its row, so the job's retry may send.
 */
export function ledgered(db: DB, transport: EmailTransport, from: string): EmailProvider {
  return {
    name: transport.name,
    close: transport.close?.bind(transport),
    async send(email) {
      const messageId = messageIdFor(email.idempotencyKey, from);
      const claimed = await sql<{ key: string }>`
        INSERT INTO email_submission (key, message_id, state) VALUES (${email.idempotencyKey}, ${messageId}, 'submitting')
        ON CONFLICT (key) DO NOTHING RETURNING key
      `.execute(db);
      if (claimed.rows.length === 0) return earlier(db, email.idempotencyKey, messageId);
      let result: SendResult;
      try {
        result = await transport.send(email);
      } catch (error) {
        if (error instanceof EmailTransientError) {
          await db.deleteFrom("email_submission").where("key", "=", email.idempotencyKey).execute();
        }
        // Any other error leaves `submitting`: whether it left is not known, so it is not resent.
        throw error;
      }
      const decided =
        result.kind === "accepted"
          ? { state: "accepted" as const, reply: null, server_message_id: result.serverMessageId ?? null }
          : result.kind === "rejected"
            ? { state: "refused" as const, reply: result.message }
            : { state: "unknown" as const, reply: result.message };
      await db
        .updateTable("email_submission")
        .set({ ...decided, decided_at: new Date() })
        .where("key", "=", email.idempotencyKey)
        .execute();
      return result;
    },
    lookup: (keys) => handovers(db, keys),
  };
}

async function earlier(db: DB, key: string, messageId: string): Promise<SendResult> {
  const row = await db
    .selectFrom("email_submission")
    .select(["state", "reply", "decided_at", "created_at"])
    .where("key", "=", key)
    .executeTakeFirst();
  if (row?.state === "accepted") {
    return { kind: "accepted", messageId, acceptedAt: row.decided_at ?? row.created_at, duplicate: true };
  }
  if (row?.state === "refused") {
    return { kind: "rejected", reason: "rejected", message: row.reply ?? "refusé par le relais" };
  }
  return { kind: "unknown", messageId, message: "issue inconnue d'un envoi précédent : non renvoyé" };
}

export async function handovers(db: DB, keys: string[]): Promise<Map<string, Handover>> {
  const out = new Map<string, Handover>();
  if (keys.length === 0) return out;
  const rows = await db
    .selectFrom("email_submission")
    .select(["key", "state", "message_id", "decided_at", "created_at"])
    .where(sql<boolean>`key = ANY(${keys}::text[])`)
    .where("state", "<>", "refused")
    .execute();
  for (const row of rows) {
    out.set(
      row.key,
      row.state === "accepted"
        ? { state: "accepted", messageId: row.message_id, acceptedAt: row.decided_at ?? row.created_at }
        : { state: "unknown" },
    );
  }
  return out;
}
