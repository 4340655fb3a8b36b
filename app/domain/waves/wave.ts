import { z } from "zod";
import type { BatchKind, BatchStatus, Channel, WaveStatus } from "../../../db/tables/waves";
import { addDeliveryDays } from "../lifecycle/french-calendar";
import { parisDate, parisInstant } from "../lifecycle/paris-time";

export type { BatchKind, BatchStatus, Channel, WaveStatus };

/** The pilot departments of July 2021: Haute-Garonne, Loire-Atlantique, Somme. */
export const PILOT_DEPARTMENTS = ["31", "44", "80"] as const;

export const WAVE_STATUS_LABELS: Record<WaveStatus, string> = {
  draft: "brouillon",
  scheduled: "programmée",
  running: "en cours",
  paused: "en pause",
  cancelled: "annulée",
  completed: "terminée",
};

export const BATCH_STATUS_LABELS: Record<BatchStatus, string> = {
  planned: "planifié",
  materialised: "destinataires figés",
  codes_stored: "codes enregistrés",
  rendered: "imprimé (PDF)",
  handed_off: "remis à l'imprimeur",
  sent: "envoyé",
  done: "terminé",
  cancelled: "annulé",
  failed: "en échec",
};

export const CHANNEL_LABELS: Record<Channel, string> = { email: "e-mail", letter: "courrier" };

/** Why a person of the segment is not in the wave. */
export type ExclusionReason =
  | "in_active_wave"
  | "opposed"
  | "space_exists"
  | "already_notified"
  | "never_notified"
  | "code_still_valid"
  | "no_address";

export const EXCLUSION_LABELS: Record<ExclusionReason, string> = {
  in_active_wave: "déjà dans une vague active",
  opposed: "opposé",
  space_exists: "espace déjà activé, créé ou clôturé",
  already_notified: "déjà notifié",
  never_notified: "jamais notifié (hors relance)",
  code_still_valid: "code encore valide",
  no_address: "ni e-mail valide ni adresse postale",
};

const department = z
  .string()
  .trim()
  .toUpperCase()
  .regex(/^(\d{2}|2[AB]|\d{3})$/, "département invalide (ex. 31, 2A, 971)");

export const segmentSchema = z
  .object({
    departments: z.array(department).min(1, "choisissez au moins un département"),
    mode: z.enum(["pending", "renotify"]),
    rollIds: z.array(z.number().int().positive()).default([]),
    ageMin: z.number().int().min(0).max(130).nullable().default(null),
    ageMax: z.number().int().min(0).max(130).nullable().default(null),
    hasEmail: z.enum(["any", "yes", "no"]).default("any"),
  })
  .refine((s) => s.ageMin == null || s.ageMax == null || s.ageMin <= s.ageMax, {
    message: "l'âge minimum dépasse l'âge maximum",
    path: ["ageMax"],
  });
export type WaveSegment = z.infer<typeof segmentSchema>;

export const settingsSchema = z.object({
  /** First send, an instant (the form gives Europe/Paris wall-clock time). */
  startAt: z.coerce.date({ invalid_type_error: "date de début invalide" }),
  letterCapacityPerDay: z.number().int().min(1, "capacité courrier ≥ 1").max(5_000_000),
  emailCapacityPerHour: z.number().int().min(1, "capacité e-mail ≥ 1").max(5_000_000),
  postalDelayDays: z.number().int().min(0).max(30).default(3),
  windowDays: z.number().int().min(1).max(365).default(42),
  workingDaysOnly: z.boolean().default(true),
  forceLetters: z.boolean().default(false),
  batchSize: z.number().int().min(1).max(50_000).default(5000),
});
export type WaveSettings = z.infer<typeof settingsSchema>;

export const DEFAULT_SETTINGS: Omit<WaveSettings, "startAt"> = {
  letterCapacityPerDay: 300_000,
  emailCapacityPerHour: 100_000,
  postalDelayDays: 3,
  windowDays: 42,
  workingDaysOnly: true,
  forceLetters: false,
  batchSize: 5000,
};

/** Paris hours, [from, to), within which batches leave; the hourly email capacity applies within them. */
export interface SendHours {
  from: number;
  to: number;
}

/** Batches leave between 08:00 and 20:00 Paris time unless configured otherwise (SEND_HOURS). */
export const EMAIL_HOURS: SendHours = { from: 8, to: 20 };

/**
 * A letter is presumed received `postalDelayDays` La Poste delivery days after hand-off (Monday–Saturday,
 * public holidays off: handed off on Thursday with 3 days, received on Monday), at noon Paris time on that
 * day (the window only depends on the Paris date, so noon keeps it DST-proof).
 */
export function letterNotifiedAt(handedOffAt: Date, postalDelayDays: number): Date {
  return parisInstant(addDeliveryDays(parisDate(handedOffAt), postalDelayDays), "12:00:00");
}

/** The label printed in letter footers and file names: V12-C0003 (wave 12, letter batch 3), S45 (single). */
export function batchLabel(batch: {
  id: number;
  wave_id: number | null;
  channel: Channel;
  number: number;
}): string {
  if (batch.wave_id == null) return `S${batch.id}`;
  return `V${batch.wave_id}-${batch.channel === "letter" ? "C" : "E"}${String(batch.number).padStart(4, "0")}`;
}
