import { type Kysely, type Migration, type MigrationProvider, Migrator } from "kysely";
import { MIGRATIONS } from "./migrations";

export class MigrationError extends Error {}

const provider: MigrationProvider = {
  async getMigrations(): Promise<Record<string, Migration>> {
    return MIGRATIONS;
  },
};

/** Runs every pending migration. The migrator's advisory lock makes parallel starts safe. */
export async function migrateToLatest<T>(db: Kysely<T>): Promise<string[]> {
  const migrator = new Migrator({ db, provider });
  const { error, results } = await migrator.migrateToLatest();
  const failed = results?.find((r) => r.status === "Error");
  if (error || failed) {
    const cause = error instanceof Error ? error.message : String(error ?? "");
    throw new MigrationError(`migration ${failed?.migrationName ?? "?"} a échoué : ${cause}`);
  }
  return (results ?? []).map((r) => r.migrationName);
}
