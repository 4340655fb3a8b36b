import { createWriteStream, mkdirSync } from "node:fs";
import path from "node:path";
import { sql } from "kysely";
import type { DB } from "../../../db/connection";
import { renderConfirmationLetter } from "../../../reports/letters/confirmation-letter";
import type { AppConfig } from "../../config/config.server";
import type { ConfirmationJob, ConfirmationKind } from "../../infra/queues";
import { formatFrenchDate } from "../lifecycle/paris-time";
import { hasUsableEmail } from "../waves/channel";
import { createEmailProvider, type EmailProvider } from "../waves/email-provider.server";

/**
 * Confirmation of an opposition or a closure recorded by the 34 22. The waves' single-notification path
 * only notifies persons who may still activate (it excludes opposed and closed ones, and sends a code),
 * so confirmations have their own small path: an email through the waves' email provider (SMTP or the
 * outbox, one ledger key per case), or a one-page letter PDF dropped in <PRINT_DIR>/helpline/ for the print house.
 * No code is ever part of a confirmation.
 */
export type { ConfirmationJob, ConfirmationKind };

const SUBJECT: Record<ConfirmationKind, string> = {
  opposition: "Mon espace santé : votre opposition est enregistrée",
  closure: "Mon espace santé : la clôture de votre espace est enregistrée",
};

function bodyText(kind: ConfirmationKind, firstName: string, lastName: string, on: string): string {
  const what =
    kind === "opposition"
      ? `votre opposition à la création de votre espace Mon espace santé a été enregistrée le ${on} par le 34 22. Votre espace ne sera pas créé. Vous pourrez à tout moment changer d'avis et l'activer.`
      : `la clôture de votre espace Mon espace santé a été enregistrée le ${on} par le 34 22.`;
  return `Bonjour ${firstName} ${lastName},\n\n${what}\n\nL'Assurance Maladie`;
}

export interface ConfirmationDeps {
  config: AppConfig;
  /** Defaults to the configured provider (or the dev sink); tests pass a fake. */
  provider?: EmailProvider;
}

/** Sends one confirmation; idempotent (a retry after a crash sends nothing twice). */
export async function sendConfirmation(
  db: DB,
  deps: ConfirmationDeps,
  job: ConfirmationJob,
): Promise<"sent" | "already_sent" | "rejected"> {
  const { config } = deps;
  const own = !deps.provider;
  const provider = deps.provider ?? createEmailProvider(db, config);
  try {
    return await sendWith(db, config, provider, job);
  } finally {
    if (own) await provider.close?.();
  }
}

async function sendWith(
  db: DB,
  config: AppConfig,
  provider: EmailProvider,
  job: ConfirmationJob,
): Promise<"sent" | "already_sent" | "rejected"> {
  const key = `helpline-${job.kind}-confirmation-${job.caseId}`;
  const done = await db
    .selectFrom("person_event")
    .select("id")
    .where("person_id", "=", job.personId)
    .where("type", "=", "confirmation_sent")
    .where(sql<boolean>`details->>'key' = ${key}`)
    .executeTakeFirst();
  if (done) return "already_sent";
  const person = await db
    .selectFrom("person")
    .select(["first_name", "last_name", "email", "email_bounced_at", "address_line", "postal_code", "city"])
    .where("id", "=", job.personId)
    .executeTakeFirstOrThrow();
  const text = bodyText(job.kind, person.first_name, person.last_name, formatFrenchDate(new Date()));
  let outcome: "sent" | "rejected" = "sent";
  // The address may have bounced since the agent chose email: the rule decides at send time.
  if (job.channel === "email" && hasUsableEmail(person) && person.email) {
    const result = await provider.send({
      idempotencyKey: key,
      to: person.email,
      subject: SUBJECT[job.kind],
      text,
      html: `<p>${text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/\n\n/g, "</p><p>")}</p>`,
    });
    if (result.kind === "rejected") outcome = "rejected";
    // Unknown (connection lost after DATA): recorded as sent, since it is not resent (ADR 025); the ledger
    // keeps the uncertainty, and a bounce would still come back by its Message-ID.
  } else {
    const dir = path.join(config.printDir, "helpline");
    mkdirSync(dir, { recursive: true });
    const addressLines = [
      person.address_line,
      `${person.postal_code ?? ""} ${person.city ?? ""}`.trim(),
    ].filter((line): line is string => Boolean(line));
    await renderConfirmationLetter(
      { recipient: `${person.first_name} ${person.last_name}`, addressLines, body: text },
      createWriteStream(path.join(dir, `${key}.pdf`)),
    );
  }
  await db
    .insertInto("person_event")
    .values({
      person_id: job.personId,
      type: outcome === "sent" ? "confirmation_sent" : "confirmation_rejected",
      at: new Date(),
      source: "helpline",
      details: JSON.stringify({ key, kind: job.kind, channel: job.channel, caseId: job.caseId }),
    })
    .execute();
  return outcome;
}
