import { sql } from "kysely";
import type PgBoss from "pg-boss";
import { z } from "zod";
import type { DB } from "../../../db/connection";
import { fallBackToLetter, recordIncident } from "./fallback.server";

/**
 * Provider events (signed webhook `POST /api/email/events`): delivered, bounced (hard/soft), invalid.
 * Each event is recorded once by the provider's event id (a duplicate delivery changes nothing). A hard
 * bounce or an invalid address moves the person to a follow-up letter of the same wave, with a new code.
 */
export const emailEventsSchema = z.object({
  events: z
    .array(
      z.object({
        id: z.string().min(1).max(200),
        type: z.enum(["delivered", "bounced", "invalid", "complained"]),
        message_id: z.string().min(1).max(200),
        occurred_at: z.coerce.date(),
        bounce_type: z.enum(["hard", "soft"]).optional(),
      }),
    )
    .min(1, "au moins un événement")
    .max(500, "500 événements au plus par appel"),
});
export type EmailEvents = z.infer<typeof emailEventsSchema>;

export interface EmailEventsResult {
  accepted: number;
  duplicates: number;
  unknownMessages: number;
  fellBack: number;
}

export async function applyEmailEvents(
  db: DB,
  deps: { boss: PgBoss },
  input: EmailEvents,
): Promise<EmailEventsResult> {
  const out: EmailEventsResult = { accepted: 0, duplicates: 0, unknownMessages: 0, fellBack: 0 };
  for (const event of input.events) {
    await db.transaction().execute(async (trx) => {
      const member = await trx
        .selectFrom("wave_member")
        .select(["id", "wave_id", "channel", "status"])
        .where("provider_message_id", "=", event.message_id)
        .executeTakeFirst();
      const inserted = await sql`
        INSERT INTO email_event (event_id, message_id, type, occurred_at, member_id, details)
        VALUES (${event.id}, ${event.message_id}, ${event.type}, ${event.occurred_at}, ${member?.id ?? null},
          ${JSON.stringify({ bounce_type: event.bounce_type ?? null })}::jsonb)
        ON CONFLICT (event_id) DO NOTHING
      `.execute(trx);
      if (Number(inserted.numAffectedRows ?? 0) === 0) {
        out.duplicates++;
        return;
      }
      out.accepted++;
      if (!member) {
        out.unknownMessages++;
        return;
      }
      if (event.type === "delivered") {
        await sql`UPDATE wave_member SET delivered_at = coalesce(delivered_at, ${event.occurred_at}) WHERE id = ${member.id}`.execute(
          trx,
        );
        return;
      }
      const permanent =
        event.type === "invalid" || (event.type === "bounced" && event.bounce_type !== "soft");
      if (permanent && member.channel === "email") {
        const reason =
          event.type === "invalid"
            ? "adresse e-mail invalide (fournisseur)"
            : "e-mail rejeté définitivement (hard bounce)";
        out.fellBack += await fallBackToLetter(trx, deps, {
          waveId: member.wave_id,
          memberIds: [member.id],
          reason,
        });
        await recordIncident(trx, {
          waveId: member.wave_id,
          memberId: member.id,
          kind: "email_bounced",
          message: `${reason} : bascule vers un courrier avec un nouveau code`,
        });
      }
    });
  }
  return out;
}
