import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { setupTestDatabase } from "../setup/database";
import { runCli } from "../support/cli-process";

const t = setupTestDatabase();
const dir = mkdtempSync(path.join(tmpdir(), "kpi-cli-"));

const cli = (...args: string[]) => runCli(t.ownerUrl, dir, args);

function file(name: string, text: string): string {
  const full = path.join(dir, name);
  writeFileSync(full, text);
  return full;
}

describe("npm run cli -- import-kpi", () => {
  it("exits 0 when recorded, 1 when refused (every reject listed), 2 on bad usage", async () => {
    const good = file("bons.csv", "indicateur;periode;valeur;unite\r\ndoctors_daily_pct;2025-01;30,5;%\r\n");
    const ok = cli("import-kpi", good);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toContain("bons.csv importé");
    expect(ok.stdout).toContain("1 nouvelle(s)");
    const again = cli(
      "import-kpi",
      file("corrige.csv", "indicateur;periode;valeur\r\ndoctors_daily_pct;2025-01;31\r\n"),
    );
    expect(again.code).toBe(0);
    expect(again.stdout).toContain("révision 2 : doctors_daily_pct 2025-01 30.5 → 31");

    const bad = cli(
      "import-kpi",
      file("mauvais.csv", "indicateur;periode;valeur\r\ndoctors_daily_pct;2025-13;abc\r\n"),
    );
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain("ligne 2, periode « 2025-13 »");
    expect(bad.stderr).toContain("ligne 2, valeur « abc »");
    expect(bad.stderr).toContain("rien n'a été importé");

    expect(cli("import-kpi").code).toBe(2);
    expect(cli("import-kpi", path.join(dir, "absent.csv")).code).toBe(2);
    const rows = await t.db.selectFrom("kpi_observation").select(["value", "revision"]).execute();
    expect(rows).toEqual([{ value: 31, revision: 2 }]);
  }, 120_000);
});
