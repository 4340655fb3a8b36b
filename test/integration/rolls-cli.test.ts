import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { setupTestDatabase } from "../setup/database";
import { runCli } from "../support/cli-process";
import { HEADER, row } from "./rolls-support";

const t = setupTestDatabase();
const dir = mkdtempSync(path.join(tmpdir(), "rolls-cli-"));

const cli = (...args: string[]) => runCli(t.ownerUrl, dir, args, { ROLL_REJECT_THRESHOLD_PCT: "5" });

describe("npm run cli -- gen-roll / import-roll", () => {
  it("generates a roll, imports it (--json: counts, format, timings, strategy), refuses it twice, and exits 0 / 1 / 2", async () => {
    const file = path.join(dir, "caisse.csv");
    const gen = cli(
      "gen-roll",
      "--rows",
      "2000",
      "--out",
      file,
      "--encoding",
      "windows-1252",
      "--errors",
      "1%",
    );
    expect(gen.code).toBe(0);
    expect(gen.stdout).toContain("2000 lignes");

    const first = cli("import-roll", file, "--json");
    expect(first.code).toBe(0);
    const out = JSON.parse(first.stdout.trim().split("\n").pop() ?? "{}");
    expect(out).toMatchObject({ state: "merged", encoding: "windows-1252", delimiter: ";", rows: 2000 });
    expect(out.rejected).toBeGreaterThan(0);
    expect(out.inserted).toBe(out.valid);
    expect(out.inserted + out.rejected).toBe(2000);
    expect(out.merge_strategy).toBe("first_load");
    for (const value of Object.values(out.timings_ms)) expect(typeof value).toBe("number");
    const persons = await t.db
      .selectFrom("person")
      .select(({ fn }) => fn.countAll<string>().as("n"))
      .executeTakeFirstOrThrow();
    expect(Number(persons.n)).toBe(out.inserted);

    // Same file again: refused (same SHA-256), exit 1, nothing merged.
    const again = cli("import-roll", file);
    expect(again.code).toBe(1);
    expect(again.stdout).toContain("déjà importé");
    expect(again.stdout).toContain("relancez avec --force");

    // Over the 5 % threshold: held for review, exit 1.
    const bad = path.join(dir, "mauvais.csv");
    writeFileSync(bad, `${HEADER}\n${row(901, { birth: "31/02/1984" })}\n${row(902)}\n`);
    const held = cli("import-roll", bad, "--json");
    expect(held.code).toBe(1);
    expect(JSON.parse(held.stdout.trim()).state).toBe("held_for_review");

    expect(cli("import-roll").code).toBe(2);
    expect(cli("import-roll", path.join(dir, "absent.csv")).code).toBe(2);
    expect(cli("import-roll", file, "--unknown").code).toBe(2);
  }, 240_000);
});
