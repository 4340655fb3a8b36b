import { parisInstant } from "../lifecycle/paris-time";
import {
  DEFAULT_SETTINGS,
  PILOT_DEPARTMENTS,
  segmentSchema,
  settingsSchema,
  type WaveSegment,
  type WaveSettings,
} from "./wave";

/** The builder's fields as the form sends them (strings), shared by the page, the preview and the action. */
export interface WaveFormValues {
  name: string;
  departments: string[];
  mode: string;
  rollIds: string[];
  ageMin: string;
  ageMax: string;
  hasEmail: string;
  forceLetters: boolean;
  startDate: string;
  startTime: string;
  letterCapacityPerDay: string;
  emailCapacityPerHour: string;
  postalDelayDays: string;
  windowDays: string;
  workingDaysOnly: boolean;
  batchSize: string;
}

export type WaveFormErrors = Partial<Record<keyof WaveFormValues, string>>;

export function defaultFormValues(today: string, pilot = false): WaveFormValues {
  return {
    name: "",
    departments: pilot ? [...PILOT_DEPARTMENTS] : [],
    mode: "pending",
    rollIds: [],
    ageMin: "",
    ageMax: "",
    hasEmail: "any",
    forceLetters: false,
    startDate: today,
    startTime: "08:00",
    letterCapacityPerDay: String(DEFAULT_SETTINGS.letterCapacityPerDay),
    emailCapacityPerHour: String(DEFAULT_SETTINGS.emailCapacityPerHour),
    postalDelayDays: String(DEFAULT_SETTINGS.postalDelayDays),
    windowDays: String(DEFAULT_SETTINGS.windowDays),
    workingDaysOnly: DEFAULT_SETTINGS.workingDaysOnly,
    batchSize: String(DEFAULT_SETTINGS.batchSize),
  };
}

/** Reads the builder's fields from a form post or a query string. Absent fields keep their defaults. */
export function readWaveForm(data: URLSearchParams | FormData, today: string): WaveFormValues {
  const d = defaultFormValues(today);
  const text = (k: keyof WaveFormValues, fallback: string) => {
    const v = data.get(k);
    return typeof v === "string" ? v.trim() : fallback;
  };
  const list = (k: string) =>
    data.getAll(k).filter((v): v is string => typeof v === "string" && v.trim() !== "");
  return {
    name: text("name", d.name),
    departments: list("departments").map((v) => v.trim().toUpperCase()),
    mode: text("mode", d.mode),
    rollIds: list("rollIds"),
    ageMin: text("ageMin", ""),
    ageMax: text("ageMax", ""),
    hasEmail: text("hasEmail", d.hasEmail),
    forceLetters: data.get("forceLetters") === "on",
    startDate: text("startDate", d.startDate),
    startTime: text("startTime", d.startTime),
    letterCapacityPerDay: text("letterCapacityPerDay", d.letterCapacityPerDay),
    emailCapacityPerHour: text("emailCapacityPerHour", d.emailCapacityPerHour),
    postalDelayDays: text("postalDelayDays", d.postalDelayDays),
    windowDays: text("windowDays", d.windowDays),
    // A submitted form without the box means unchecked; a bare query string keeps the default.
    workingDaysOnly: data.has("startDate") ? data.get("workingDaysOnly") === "on" : d.workingDaysOnly,
    batchSize: text("batchSize", d.batchSize),
  };
}

/** The form field of each segment property (the schema's issue paths). */
const SEGMENT_FIELDS: Record<string, keyof WaveFormValues> = {
  departments: "departments",
  mode: "mode",
  rollIds: "rollIds",
  ageMin: "ageMin",
  ageMax: "ageMax",
  hasEmail: "hasEmail",
};

/** 2026-12-07 → 07/12/2026. */
function frenchDay(iso: string): string {
  return iso.split("-").reverse().join("/");
}

function integer(value: string, label: string, min: number, max: number): number | string {
  if (!/^\d+$/.test(value.replace(/\s/g, ""))) return `${label} : nombre entier attendu`;
  const n = Number(value.replace(/\s/g, ""));
  if (n < min || n > max)
    return `${label} : entre ${min.toLocaleString("fr-FR")} et ${max.toLocaleString("fr-FR")}`;
  return n;
}

/**
 * Validates the builder's values into a segment and settings, or French messages per field. `today` is the
 * Paris date the form is checked on: a start date before it is refused (a wave cannot start in the past;
 * today at an hour already gone starts at once).
 */
export function validateWaveForm(
  v: WaveFormValues,
  opts: { requireName: boolean; today: string },
):
  | { ok: true; name: string; segment: WaveSegment; settings: WaveSettings }
  | { ok: false; errors: WaveFormErrors } {
  const errors: WaveFormErrors = {};
  if (opts.requireName && (v.name.length < 3 || v.name.length > 120)) {
    errors.name = "Nom : entre 3 et 120 caractères";
  }
  if (v.departments.length === 0) errors.departments = "Choisissez au moins un département";
  const num = (
    k: keyof WaveFormValues,
    label: string,
    min: number,
    max: number,
    optional = false,
  ): number | null => {
    const raw = String(v[k]);
    if (optional && raw === "") return null;
    const r = integer(raw, label, min, max);
    if (typeof r === "string") {
      errors[k] = r;
      return null;
    }
    return r;
  };
  const ageMin = num("ageMin", "Âge minimum", 0, 130, true);
  const ageMax = num("ageMax", "Âge maximum", 0, 130, true);
  if (ageMin != null && ageMax != null && ageMin > ageMax)
    errors.ageMax = "L'âge maximum doit être supérieur ou égal à l'âge minimum";
  const letterCapacityPerDay = num("letterCapacityPerDay", "Capacité courrier par jour", 1, 5_000_000);
  const emailCapacityPerHour = num("emailCapacityPerHour", "Capacité e-mail par heure", 1, 5_000_000);
  const postalDelayDays = num("postalDelayDays", "Délai postal", 0, 30);
  const windowDays = num("windowDays", "Fenêtre d'opposition", 1, 365);
  const batchSize = num("batchSize", "Taille des lots", 1, 50_000);
  if (!["pending", "renotify"].includes(v.mode))
    errors.mode = "Cible : choisissez « jamais notifiés » ou « relance »";
  if (!["any", "yes", "no"].includes(v.hasEmail)) errors.hasEmail = "Filtre e-mail invalide";
  const rollIds = v.rollIds.map(Number);
  if (rollIds.some((n) => !Number.isSafeInteger(n) || n <= 0)) errors.rollIds = "Rôle inconnu";
  let startAt: Date | null = null;
  if (!/^\d{4}-\d{2}-\d{2}$/.test(v.startDate)) errors.startDate = "Date de début : format AAAA-MM-JJ";
  else if (v.startDate < opts.today)
    errors.startDate = `Date de début dans le passé : au plus tôt aujourd'hui (${frenchDay(opts.today)})`;
  else if (!/^\d{2}:\d{2}$/.test(v.startTime)) errors.startTime = "Heure de début : format HH:MM";
  else {
    startAt = parisInstant(v.startDate, `${v.startTime}:00`);
    if (Number.isNaN(startAt.getTime())) errors.startDate = "Date de début invalide";
  }
  const segment = segmentSchema.safeParse({
    departments: v.departments,
    mode: v.mode,
    rollIds,
    ageMin,
    ageMax,
    hasEmail: v.hasEmail,
  });
  // Each of the schema's refusals goes on the field it names (its path), once: a field the checks above
  // already flagged keeps their message (the age order was said twice, the second under « Départements »).
  if (!segment.success) {
    for (const issue of segment.error.issues) {
      const key = SEGMENT_FIELDS[String(issue.path[0])] ?? "departments";
      errors[key] ??= issue.message;
    }
  }
  if (Object.keys(errors).length > 0 || !segment.success || !startAt) return { ok: false, errors };
  const settings = settingsSchema.parse({
    startAt,
    letterCapacityPerDay,
    emailCapacityPerHour,
    postalDelayDays,
    windowDays,
    workingDaysOnly: v.workingDaysOnly,
    forceLetters: v.forceLetters,
    batchSize,
  });
  return { ok: true, name: v.name, segment: segment.data, settings };
}

/** The query string that reproduces the builder's values (preview requests, "update the preview"). */
export function waveFormQuery(v: WaveFormValues): string {
  const p = new URLSearchParams();
  for (const [k, value] of Object.entries(v)) {
    if (Array.isArray(value)) for (const x of value) p.append(k, x);
    else if (typeof value === "boolean") {
      if (value) p.set(k, "on");
    } else p.set(k, value);
  }
  return p.toString();
}
