import { unlink } from "node:fs/promises";
import type { DB } from "../../../db/connection";

/**
 * A roll refused or discarded no longer needs its file: an uploaded one (our copy, under UPLOAD_DIR) is
 * deleted, so that refused national files (GBs of personal data) do not pile up. A CLI roll's file is the
 * operator's own and is never touched. A merged roll's file follows the retention rules.
 */
export async function deleteUploadedFile(db: DB, rollId: number): Promise<void> {
  const roll = await db
    .selectFrom("roll")
    .select(["file_path", "source"])
    .where("id", "=", rollId)
    .executeTakeFirst();
  if (roll?.source !== "upload" || !roll.file_path) return;
  await unlink(roll.file_path).catch((error: NodeJS.ErrnoException) => {
    if (error.code !== "ENOENT") throw error;
  });
}
