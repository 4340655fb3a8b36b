import { spawn } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { sql } from "kysely";
import { describe, expect, it } from "vitest";
import { lockRollImport, recoverInterruptedRolls } from "../../app/domain/rolls/interrupted.server";
import { createRoll, rollProgress } from "../../app/domain/rolls/rolls.server";
import { stagingTable } from "../../app/domain/rolls/staging-tables";
import { writeSyntheticRoll } from "../../cli/synthetic-roll";
import { setupTestDatabase } from "../setup/database";
import { runCli } from "../support/cli-process";
import { HEADER, rollFile, row } from "./rolls-support";

const t = setupTestDatabase();
const dir = mkdtempSync(path.join(tmpdir(), "rolls-killed-"));
const actor = { userId: null, label: "test" };

async function stagingExists(rollId: number): Promise<boolean> {
  const r = await sql<{ t: string | null }>`SELECT to_regclass(${stagingTable(rollId)}) AS t`.execute(t.db);
  return r.rows[0]?.t != null;
}

describe("an interrupted roll import", () => {
  it("killed with SIGKILL mid-import, is refused and its staging dropped when the CLI next starts", async () => {
    // Persons already there, so the import takes the staging path (a staging table to leave behind).
    const seedFile = rollFile(`${HEADER}\n${row(1)}\n`);
    expect(runCli(t.ownerUrl, dir, ["import-roll", seedFile]).code).toBe(0);
    const big = path.join(dir, "big.csv");
    await writeSyntheticRoll(big, { rows: 400_000, seed: 7 });
    const child = spawn(process.execPath, ["--import", "tsx", "cli/main.ts", "import-roll", big], {
      env: {
        ...process.env,
        DATABASE_URL: t.ownerUrl,
        DATA_DIR: dir,
        NODE_ENV: "test",
        LOG_LEVEL: "silent",
        DEMO_MODE: "false",
      },
      stdio: "ignore",
    });
    const exited = new Promise((resolve) => child.on("exit", resolve));
    // Wait for the roll to be mid-parse, with its staging table, then kill the process outright.
    let rollId = 0;
    for (let i = 0; i < 600 && rollId === 0; i++) {
      await new Promise((r) => setTimeout(r, 100));
      const r = await t.db
        .selectFrom("roll")
        .select(["id", "rows_read"])
        .where("file_name", "=", "big.csv")
        .where("state", "=", "parsing")
        .executeTakeFirst();
      if (r && (r.rows_read ?? 0) > 0 && (await stagingExists(r.id))) rollId = r.id;
    }
    expect(rollId).toBeGreaterThan(0);
    child.kill("SIGKILL");
    await exited;
    expect(
      (await t.db.selectFrom("roll").select("state").where("id", "=", rollId).executeTakeFirstOrThrow())
        .state,
    ).toBe("parsing");

    // The next CLI start (importing anything) recovers it.
    const next = runCli(t.ownerUrl, dir, ["import-roll", rollFile(`${HEADER}\n${row(2)}\n`)]);
    expect(next.code).toBe(0);
    expect(next.stderr).toContain(`fichier n° ${rollId} : import interrompu`);
    const roll = await t.db
      .selectFrom("roll")
      .select(["state", "refusal"])
      .where("id", "=", rollId)
      .executeTakeFirstOrThrow();
    expect(roll.state).toBe("refused");
    expect(roll.refusal).toMatch(
      /^import interrompu : le processus qui l'importait s'est arrêté \(état « analyse »\)/,
    );
    expect(await stagingExists(rollId)).toBe(false);
    const audit = await t.db
      .selectFrom("audit_log")
      .select("action")
      .where("object_id", "=", String(rollId))
      .execute();
    expect(audit.map((a) => a.action)).toContain("roll.refused");
  }, 180_000);

  it("leaves alone a roll whose importer is alive (it holds the roll's lock)", async () => {
    const rollId = await createRoll(t.db, {
      filePath: "/x.csv",
      fileName: "x.csv",
      sizeBytes: 1,
      source: "cli",
      thresholdPct: 5,
    });
    await t.db.updateTable("roll").set({ state: "merging" }).where("id", "=", rollId).execute();
    const lock = await lockRollImport(t.db, rollId);
    expect(lock).not.toBeNull();
    expect(await lockRollImport(t.db, rollId)).toBeNull();
    expect(await recoverInterruptedRolls(t.db, actor)).not.toContain(rollId);
    expect((await rollProgress(t.db, rollId)).interrupted).toBe(false);
    await lock?.release();
    // Nobody holds it now: the progress page says the import will resume and gives no estimate.
    expect(await rollProgress(t.db, rollId)).toMatchObject({ interrupted: true, etaS: null });
    expect(await recoverInterruptedRolls(t.db, actor)).toContain(rollId);
  });
});
