import type { RollState } from "../../../db/tables/rolls";
import { DomainError } from "../domain-error";

export type { RollState };

/** What an import ended with; the CLI's --json prints it, the roll page shows it. */
export interface RollOutcome {
  rollId: number;
  state: RollState;
  dryRun: boolean;
  refusal: string | null;
  file: string;
  encoding: string | null;
  delimiter: string | null;
  hasBom: boolean | null;
  lineEnding: string | null;
  ignoredColumns: string[];
  rows: number;
  valid: number;
  rejected: number;
  warnings: number;
  inserted: number;
  updated: number;
  unchanged: number;
  rejectsByReason: Array<{
    reason: string;
    label: string;
    severity: "error" | "warning";
    count: number;
    lines: number[];
  }>;
  durationMs: number;
  timings: RollTimings;
}

export interface RollTimings {
  parseMs?: number;
  validateMs?: number;
  copyMs?: number;
  checksMs?: number;
  mergeMs?: number;
  /** Where the merge's time went, and which strategy it used (merge.server.ts). */
  merge?: Partial<import("./merge.server").MergeTimings & import("./first-load.server").FirstLoadTimings>;
  mergeStrategy?: "bulk" | "incremental" | "first_load";
  totalMs?: number;
}

export interface RollProgress {
  bytesRead: number;
  sizeBytes: number;
  rows: number;
  phase: "parsing" | "checking" | "merging" | "done";
}

export const ROLL_STATE_LABELS: Record<RollState, string> = {
  uploaded: "Déposé",
  parsing: "Analyse en cours",
  validated: "Analysé",
  held_for_review: "En attente de décision",
  merging: "Intégration en cours",
  merged: "Intégré",
  refused: "Refusé",
  discarded: "Abandonné",
};

export const DELIMITER_LABELS: Record<string, string> = {
  ";": "point-virgule (;)",
  ",": "virgule (,)",
  "\t": "tabulation",
};

/** Share of refused rows above which a roll waits for a manager's decision instead of merging. */
export function exceedsThreshold(rejected: number, rows: number, thresholdPct: number): boolean {
  return rows > 0 && (rejected * 100) / rows > thresholdPct;
}

export class RollError extends DomainError {}
export class RollNotFound extends RollError {
  constructor(message: string) {
    super("not_found", message);
  }
}
export class RollNotInState extends RollError {
  constructor(message: string) {
    super("not_allowed", message);
  }
}

/** The upload page's option that imports a file already merged again (the CLI's `--force`). */
export const FORCE_OPTION_LABEL = "Forcer l'import d'un fichier déjà importé";
