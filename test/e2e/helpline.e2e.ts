import { describe, expect, it } from "vitest";
import { buildNir } from "../../app/domain/persons/nir";
import { setupTestApp } from "./support/app";
import { browserAvailable, expectAccessible, login, screenshot, setupBrowser } from "./support/browser";

describe.runIf(browserAvailable())("helpline (browser)", () => {
  const app = setupTestApp();
  const ui = setupBrowser();

  it("an agent takes the next case, checks identity, records an opposition and closes the case; the board follows", async () => {
    const nir = buildNir({ sex: 2, year: 1971, month: 4, department: "31", commune: 555, order: 321 });
    const person = await app.runtime.db
      .insertInto("person")
      .values({
        nir,
        last_name: "Lefèvre",
        first_name: "Anaïs",
        birth_date: "1971-04-12",
        department: "31",
        address_line: "12 rue des Lilas",
        postal_code: "31000",
        city: "Toulouse",
        email: "anais.lefevre@exemple.fr",
        state: "notified",
        notified_at: new Date(Date.now() - 5 * 86400_000),
        window_ends_at: new Date(Date.now() + 30 * 86400_000),
        state_changed_at: new Date(Date.now() - 5 * 86400_000),
      })
      .returning("id")
      .executeTakeFirstOrThrow();

    // The supervisor opens the live board.
    const supervisorContext = await ui.browser.newContext();
    const board = await supervisorContext.newPage();
    await login(board, app.baseUrl, "superviseur@demo.mes-ops.fr");
    await board.goto(`${app.baseUrl}/helpline/board`);
    await expect(board.locator("h1").innerText()).resolves.toContain("Supervision");
    const agentRow = board.getByTestId("agents-table").getByRole("row", { name: /Karim Conseiller/ });
    await expect(agentRow.innerText()).resolves.toMatch(/\t0$/);
    await screenshot(board, "helpline-board-before");
    await expectAccessible(board);

    // The agent takes the next case.
    const agentContext = await ui.browser.newContext();
    const page = await agentContext.newPage();
    await login(page, app.baseUrl, "conseiller@demo.mes-ops.fr");
    await page.goto(`${app.baseUrl}/helpline`);
    await screenshot(page, "helpline-console");
    await expectAccessible(page);
    await page.getByRole("button", { name: "Dossier suivant" }).click();
    await page.locator("h1", { hasText: /Dossier n° \d+/ }).waitFor();

    // Actions are refused before the identity check (server side too).
    const caseUrl = page.url();
    const refused = await page.evaluate(async (url) => {
      const token = document.querySelector<HTMLInputElement>('input[name="_csrf"]')?.value ?? "";
      const res = await fetch(`${url}?_data=routes%2Fhelpline.cases.%24caseId`, {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams({ _csrf: token, intent: "oppose", confirm: "on" }),
      });
      return { status: res.status, body: await res.text() };
    }, caseUrl);
    expect(refused.status).toBe(428);
    expect(refused.body).toContain("vérifiez d'abord l'identité");

    // Find the caller by NIR and check identity.
    await page.getByLabel("NIR (15 caractères)").fill(nir);
    await page.getByRole("button", { name: "Chercher par NIR" }).click();
    await page.getByRole("link", { name: "Vérifier l'identité" }).click();
    await page.getByLabel(/Nom et prénom donnés/).check();
    await page.getByLabel(/Date de naissance :/).check();
    await page.getByLabel(/Code postal :/).check();
    await screenshot(page, "helpline-identity-check");
    await page.getByRole("button", { name: "Confirmer l'identité" }).click();
    await page.getByRole("alert").filter({ hasText: "Identité vérifiée" }).waitFor();

    // Record the opposition.
    await page.getByLabel("L'appelant confirme s'opposer à la création de son espace").check();
    await page.getByRole("button", { name: "Enregistrer l'opposition" }).click();
    await page.getByRole("alert").filter({ hasText: "Opposition enregistrée" }).waitFor();
    const state = await app.runtime.db
      .selectFrom("person")
      .select("state")
      .where("id", "=", person.id)
      .executeTakeFirstOrThrow();
    expect(state.state).toBe("opposed");
    await screenshot(page, "helpline-case-opposition");
    await expectAccessible(page);

    // Close the case.
    await page.getByRole("button", { name: "Clore le dossier (résolu)" }).click();
    await page.getByRole("alert").filter({ hasText: "Dossier résolu" }).waitFor();
    await screenshot(page, "helpline-case-resolved");

    // The board, without a reload, shows the agent's handled count.
    await board.waitForFunction(
      () => {
        const rows = [...document.querySelectorAll('[data-testid="agents-table"] tbody tr')];
        const row = rows.find((r) => r.textContent?.includes("Karim Conseiller"));
        return row?.lastElementChild?.textContent?.trim() === "1";
      },
      undefined,
      { timeout: 20_000 },
    );
    await screenshot(board, "helpline-board-after");
    await agentContext.close();
    await supervisorContext.close();
  });

  it("supervisor screens: routing and staffing forecast", async () => {
    const context = await ui.browser.newContext();
    const page = await context.newPage();
    await login(page, app.baseUrl, "superviseur@demo.mes-ops.fr");
    await page.goto(`${app.baseUrl}/helpline/routing`);
    await expect(page.locator("h1").innerText()).resolves.toContain("Routage");
    await screenshot(page, "helpline-routing");
    await expectAccessible(page);
    // Scheduled volumes as the waves context plans them (batches not yet sent), so the chart has data.
    const day = (n: number) => new Date(Date.now() + n * 86400_000).toISOString().slice(0, 10);
    await app.runtime.db
      .insertInto("wave_batch")
      .values(
        [2, 3, 8, 9, 10].map((n, i) => ({
          wave_id: null,
          channel: "letter" as const,
          number: i + 1,
          day: day(n),
          not_before: new Date(`${day(n)}T08:00:00Z`),
          planned_count: 120_000,
        })),
      )
      .execute();
    await page.goto(`${app.baseUrl}/helpline/forecast`);
    await page
      .getByLabel(/Conseillers planifiés le/)
      .first()
      .fill("12");
    await page.getByRole("button", { name: "Enregistrer le planning" }).click();
    await page.getByRole("alert").filter({ hasText: "Planning des effectifs enregistré" }).waitFor();
    await page.waitForSelector(".recharts-surface");
    await screenshot(page, "helpline-forecast");
    await expectAccessible(page);
    await context.close();
  });

  it("an agent may not open the supervisor screens", async () => {
    const context = await ui.browser.newContext();
    const page = await context.newPage();
    await login(page, app.baseUrl, "conseiller@demo.mes-ops.fr");
    const res = await page.goto(`${app.baseUrl}/helpline/board`);
    expect(res?.status()).toBe(403);
    await context.close();
  });
});
