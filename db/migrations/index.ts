import type { Migration } from "kysely";
import * as foundation from "./2026_11_23_1200_foundation";
import * as waves from "./2026_11_23_1400_waves";

/**
 * Every migration, by name (names sort in application order). Listed statically rather than read from the
 * folder, so that the same list works under tsx, vitest and any bundle. Add one line per new file.
 */
export const MIGRATIONS: Record<string, Migration> = {
  "2026_11_23_1200_foundation": foundation,
  "2026_11_23_1400_waves": waves,
};
