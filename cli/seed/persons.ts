import { mkdir, stat } from "node:fs/promises";
import path from "node:path";
import { importRoll } from "../../app/domain/rolls/import.server";
import { createRoll } from "../../app/domain/rolls/rolls.server";
import type { DB } from "../../db/connection";
import { writeSyntheticRoll } from "../synthetic-roll";
import type { Seeder } from "./seeder";

const DEMO_ROLL = { rows: 3000, departments: ["31", "44", "80", "2A", "971"], seed: 2021, offset: 700_000 };

/**
 * Demo persons, imported through the real roll pipeline from generated rolls (marked « démo » in their
 * file names): a pilot roll of ~3 000 insured persons in Haute-Garonne, Loire-Atlantique and Somme (a few
 * in Corse-du-Sud and Guadeloupe) with some refused rows, then a newer roll changing the contact data of a
 * few of them, so the roll pages, the rejects and the contact history all have something to show.
 */
export const personsDemoSeeder: Seeder = {
  name: "demo-persons",
  async run(_trx, config, root) {
    if (!root)
      throw new Error("demo-persons: the top-level database handle is required (seedDemo passes it)");
    const db = root as DB;
    const dir = path.join(config.uploadDir, "demo");
    await mkdir(dir, { recursive: true });
    const pilot = path.join(dir, "demo-pilote-31-44-80.csv");
    await writeSyntheticRoll(pilot, {
      ...DEMO_ROLL,
      errorShare: 0.015,
      encoding: "windows-1252",
      lineEnding: "CRLF",
    });
    const newer = path.join(dir, "demo-mise-a-jour.csv");
    await writeSyntheticRoll(newer, { ...DEMO_ROLL, rows: 400, changedShare: 0.1 });
    for (const [file, name] of [
      [pilot, "démo — rôle pilote 31-44-80.csv"],
      [newer, "démo — mise à jour des coordonnées.csv"],
    ]) {
      const rollId = await createRoll(db, {
        filePath: file,
        fileName: name,
        sizeBytes: (await stat(file)).size,
        source: "seed",
        thresholdPct: config.rollRejectThresholdPct,
      });
      await importRoll(db, rollId, { inline: true, actor: { userId: null, label: "démo" } });
    }
  },
};
