import { sql } from "kysely";
import { describe, expect, it } from "vitest";
import { setupTestApp } from "./support/app";
import { browserAvailable, expectAccessible, login, screenshot, setupBrowser } from "./support/browser";

/** Three spent codes whose hash is past its retention (90 days after expiry by default). */
async function seedExpiredCodes(app: ReturnType<typeof setupTestApp>): Promise<number[]> {
  const rows = await sql<{ id: string }>`
    INSERT INTO provisional_code (person_id, code_hash, expires_at, used_at)
    SELECT p.id, md5(p.id::text) || md5('e2e' || p.id), now() - interval '200 days', now() - interval '210 days'
    FROM (SELECT id FROM person ORDER BY id LIMIT 3) p
    RETURNING id`.execute(app.runtime.db);
  return rows.rows.map((r) => Number(r.id));
}

describe.runIf(browserAvailable())("Retention page (browser)", () => {
  const app = setupTestApp();
  const ui = setupBrowser();

  it("simulates, refuses an unconfirmed purge, then purges on the worker and lists the run", async () => {
    const ids = await seedExpiredCodes(app);
    const page = await ui.browser.newPage();
    await login(page, app.baseUrl, "admin@demo.mes-ops.fr");
    await page.goto(`${app.baseUrl}/admin/retention`);
    expect(await page.getByRole("heading", { name: "Conservation des données", level: 1 }).count()).toBe(1);
    await expectAccessible(page);

    await page.getByRole("button", { name: "Simulation" }).click();
    await page.getByRole("heading", { name: "Résultat de la simulation" }).waitFor();
    expect(await page.getByText(/rien n'a été modifié/).count()).toBe(1);
    const codesRow = page.getByRole("row", { name: /Empreintes des codes/ });
    expect(Number(await codesRow.locator("td.num").textContent())).toBeGreaterThanOrEqual(ids.length);
    await screenshot(page, "admin-retention-simulation");
    // A simulation changes nothing.
    const held = await sql<{ n: string }>`
      SELECT count(*) AS n FROM provisional_code WHERE id = ANY(${ids}) AND code_hash IS NOT NULL`.execute(
      app.runtime.db,
    );
    expect(Number(held.rows[0].n)).toBe(ids.length);

    await page.getByRole("button", { name: "Purger maintenant" }).click();
    await page.getByText("Confirmation : cochez la case pour confirmer la purge définitive.").waitFor();
    await screenshot(page, "admin-retention-unconfirmed");

    await page.getByLabel("Je confirme la purge définitive").check();
    await page.getByRole("button", { name: "Purger maintenant" }).click();
    await page.getByText(/Purge lancée en tâche de fond/).waitFor();
    // The worker runs it; its audited counts appear in the history.
    await expect
      .poll(
        async () =>
          Number(
            (
              await sql<{ n: string }>`
                SELECT count(*) AS n FROM provisional_code WHERE id = ANY(${ids}) AND code_hash IS NULL`.execute(
                app.runtime.db,
              )
            ).rows[0].n,
          ),
        { timeout: 30_000 },
      )
      .toBe(ids.length);
    await expect
      .poll(
        async () => {
          await page.goto(`${app.baseUrl}/admin/retention`);
          return page
            .getByRole("heading", { name: "Dernières purges" })
            .locator("..")
            .locator("tbody tr")
            .count();
        },
        { timeout: 30_000 },
      )
      .toBeGreaterThan(0);
    expect(await page.getByText("Aucune purge n'a encore eu lieu.").count()).toBe(0);
    await screenshot(page, "admin-retention-history");
    await expectAccessible(page);
    await page.close();
  });

  it("answers 403 to a campaign manager and a ministry viewer", async () => {
    for (const email of ["campagne@demo.mes-ops.fr", "ministere@demo.mes-ops.fr"]) {
      const page = await ui.browser.newPage();
      await login(page, app.baseUrl, email);
      const res = await page.goto(`${app.baseUrl}/admin/retention`);
      expect(res?.status(), email).toBe(403);
      await page.close();
    }
  });
});
