import { scrubText, scrubValue } from "../../config/logger.server";

/** The heartbeat queue is scheduled every minute; two missed beats and a margin mean the worker is gone. */
export const HEARTBEAT_STALE_SECONDS = 150;

export type WorkerState = "active" | "inactive" | "never";

export interface WorkerStatus {
  state: WorkerState;
  lastBeatAt: Date | null;
  ageSeconds: number | null;
}

export function workerStatus(lastBeatAt: Date | null, now: Date): WorkerStatus {
  if (!lastBeatAt) return { state: "never", lastBeatAt: null, ageSeconds: null };
  const ageSeconds = Math.max(0, Math.round((now.getTime() - lastBeatAt.getTime()) / 1000));
  return { state: ageSeconds <= HEARTBEAT_STALE_SECONDS ? "active" : "inactive", lastBeatAt, ageSeconds };
}

/** "il y a 42 s", "il y a 3 min", "il y a 2 h 05", "il y a 3 j" */
export function describeAge(seconds: number): string {
  if (seconds < 60) return `il y a ${seconds} s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `il y a ${minutes} min`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return `il y a ${hours} h ${String(minutes % 60).padStart(2, "0")}`;
  return `il y a ${Math.floor(hours / 24)} j`;
}

const MAX_ERROR_CHARS = 4000;
const MAX_STACK_LINES = 12;

/**
 * What an admin may read of a failed job's output. pg-boss stores the thrown error (serialize-error:
 * message, stack, name, own properties). A handler's error text can quote the data it choked on, so the
 * text goes through the logger's scrubber (NIR, email, phone, code shapes, and personal keys) and is cut.
 */
export function describeJobError(output: unknown): string {
  if (output == null) return "(aucune sortie enregistrée)";
  const scrubbed = scrubValue(output);
  let text: string;
  if (scrubbed && typeof scrubbed === "object" && !Array.isArray(scrubbed)) {
    const { message, stack, name, ...rest } = scrubbed as Record<string, unknown>;
    const parts: string[] = [];
    const stackText = typeof stack === "string" ? stack.split("\n").slice(0, MAX_STACK_LINES).join("\n") : "";
    if (stackText) parts.push(stackText);
    else if (typeof message === "string")
      parts.push(`${typeof name === "string" ? `${name}: ` : ""}${message}`);
    const extra = Object.keys(rest).length > 0 ? JSON.stringify(rest, null, 2) : "";
    if (extra && extra !== "{}") parts.push(extra);
    text = parts.length > 0 ? parts.join("\n") : JSON.stringify(scrubbed);
  } else {
    text = typeof scrubbed === "string" ? scrubbed : JSON.stringify(scrubbed);
  }
  text = scrubText(text);
  return text.length > MAX_ERROR_CHARS ? `${text.slice(0, MAX_ERROR_CHARS)}\n… (tronqué)` : text;
}

/** Job states in pg-boss's order, with their French labels. */
export const JOB_STATES = ["created", "retry", "active", "completed", "cancelled", "failed"] as const;
export type JobState = (typeof JOB_STATES)[number];

export const JOB_STATE_LABELS: Record<JobState, string> = {
  created: "En attente",
  retry: "À réessayer",
  active: "En cours",
  completed: "Terminées",
  cancelled: "Annulées",
  failed: "En échec",
};

export function isJobState(value: string): value is JobState {
  return (JOB_STATES as readonly string[]).includes(value);
}
