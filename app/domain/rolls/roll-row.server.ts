import type { DB } from "../../../db/connection";
import { RollNotFound } from "./roll";

/** The roll's row as its import reads it (and reads it again between the phases). */
export interface RollRow {
  id: number;
  state: string;
  file_path: string;
  file_name: string;
  sha256: string | null;
  force: boolean;
  dry_run: boolean;
  threshold_pct: number;
  rows_valid: number | null;
  columns: unknown;
  delimiter: string | null;
}

export async function loadRoll(db: DB, rollId: number): Promise<RollRow> {
  const roll = await db
    .selectFrom("roll")
    .select([
      "id",
      "state",
      "file_path",
      "file_name",
      "sha256",
      "force",
      "dry_run",
      "threshold_pct",
      "rows_valid",
      "columns",
      "delimiter",
    ])
    .where("id", "=", rollId)
    .executeTakeFirst();
  if (!roll) throw new RollNotFound(`fichier d'assurés ${rollId} introuvable`);
  return { ...roll, threshold_pct: Number(roll.threshold_pct) };
}
