import { describe, expect, it } from "vitest";
import { parisParts } from "../../app/domain/lifecycle/paris-time";
import { pdfPages } from "../integration/waves-support";
import { setupTestApp } from "./support/app";
import { browserAvailable, expectAccessible, login, screenshot, setupBrowser } from "./support/browser";

const CODE = /[2-9A-HJKMNP-Z]{4}-[2-9A-HJKMNP-Z]{4}-[2-9A-HJKMNP-Z]{5}/;

describe.runIf(browserAvailable())("waves (browser)", () => {
  const app = setupTestApp({ SEND_HOURS: "0-24" }); // batches may leave at any hour the test runs
  const ui = setupBrowser();

  it("builds a wave on seeded data, schedules it, watches it complete, downloads a letter and finds the email", async () => {
    const context = await ui.browser.newContext({ acceptDownloads: true });
    const page = await context.newPage();
    await login(page, app.baseUrl, "campagne@demo.mes-ops.fr");
    await page.goto(`${app.baseUrl}/waves`);
    await screenshot(page, "waves-list");
    await expectAccessible(page);
    // Waves written by other demo seeds (partial definitions) still open.
    const demo = page.getByRole("link", { name: /Démonstration — pilote/ });
    if ((await demo.count()) > 0) {
      await demo.first().click();
      await page.waitForURL(/\/waves\/\d+$/);
      await expect(page.getByTestId("wave-status").innerText()).resolves.toBeTruthy();
      await page.goto(`${app.baseUrl}/waves`);
    }
    await page.getByRole("link", { name: "Nouvelle vague" }).click();
    await page.waitForURL(/\/waves\/new/);

    await page.getByRole("link", { name: /Présélection pilote/ }).click();
    await page.waitForURL(/preset=pilot/);
    for (const d of ["31", "44", "80"])
      expect(await page.getByRole("checkbox", { name: d, exact: true }).isChecked()).toBe(true);
    await page.getByLabel("Nom de la vague").fill("Vague e2e pilote");
    // Start now (Paris time), every day, generous capacities: the worker can run it at once.
    const now = parisParts(new Date(Date.now() - 60_000));
    await page
      .getByLabel("Heure", { exact: true })
      .fill(`${String(now.hour).padStart(2, "0")}:${String(now.minute).padStart(2, "0")}`);
    await page.getByLabel(/Jours ouvrés uniquement/).uncheck();
    await page.getByLabel("E-mails par heure").fill("3600000");
    await page.getByRole("button", { name: "Mettre à jour l'aperçu" }).click();
    await page.waitForURL(/startDate=/);
    const eligible = Number((await page.getByTestId("eligible-count").innerText()).replace(/\D/g, ""));
    expect(eligible).toBeGreaterThan(0);
    await expect(page.getByRole("table", { name: "Envois prévus par jour" }).isVisible()).resolves.toBe(true);
    await expect(page.getByText("Dernier jour d'envoi").isVisible()).resolves.toBe(true);
    await screenshot(page, "waves-builder");
    await expectAccessible(page);

    // Letter preview with a fake code, before scheduling.
    const preview = await page.request.get(
      `${app.baseUrl}/waves/letter-preview?${new URL(page.url()).searchParams}`,
    );
    expect(preview.headers()["content-type"]).toContain("application/pdf");
    const previewPages = await pdfPages(Buffer.from(await preview.body()));
    expect(previewPages).toHaveLength(1);
    expect(previewPages[0]).toContain("ABCD-EFGH-JKMNP");
    expect(previewPages[0]).toContain("ŁUKASIEWICZ-NGUYỄN");
    expect(previewPages[0]).toContain("Přemysl");

    await page.getByRole("button", { name: "Créer la vague (brouillon)" }).click();
    await page.waitForURL(/\/waves\/\d+$/);
    await expect(page.getByTestId("wave-status").innerText()).resolves.toBe("brouillon");
    await screenshot(page, "waves-draft");
    await page.getByRole("button", { name: "Programmer la vague" }).click();
    await expect(page.getByRole("alert").innerText()).resolves.toContain("Vague programmée");

    // The worker materialises the wave and runs every batch; the page refreshes itself.
    const waveUrl = page.url();
    for (let i = 0; i < 60; i++) {
      if ((await page.getByTestId("wave-status").innerText()) === "terminée") break;
      await page.waitForTimeout(1500);
      if (i % 4 === 3) await page.goto(waveUrl);
    }
    await expect(page.getByTestId("wave-status").innerText()).resolves.toBe("terminée");
    const handedOff = Number((await page.getByTestId("stat-handed-off").innerText()).replace(/\D/g, ""));
    const sent = Number((await page.getByTestId("stat-sent").innerText()).replace(/\D/g, ""));
    expect(handedOff + sent).toBe(eligible);
    await screenshot(page, "waves-completed");
    await expectAccessible(page);
    await page.getByRole("button", { name: "Afficher le tableau" }).click();
    await expect(
      page.getByRole("table", { name: "Envois prévus et réalisés par jour" }).isVisible(),
    ).resolves.toBe(true);

    // Download the first letter batch and read it.
    const pdfLink = page.getByRole("link", { name: "PDF", exact: true }).first();
    const href = await pdfLink.getAttribute("href");
    const download = await page.request.get(`${app.baseUrl}${href}`);
    expect(download.status()).toBe(200);
    const pages = await pdfPages(Buffer.from(await download.body()));
    expect(pages.length).toBeGreaterThan(0);
    expect(pages[0]).toContain("monespacesante.fr");
    expect(pages[0]).toMatch(CODE);
    expect(pages[0]).toMatch(/Lot V\d+-C\d{4} — n° 1/);
    await context.close();

    // The dev sink holds the emails; the demo outbox page lists them.
    const adminContext = await ui.browser.newContext();
    const admin = await adminContext.newPage();
    await login(admin, app.baseUrl, "admin@demo.mes-ops.fr");
    await admin.goto(`${app.baseUrl}/admin/outbox`);
    await expectAccessible(admin);
    await screenshot(admin, "waves-outbox");
    const first = admin.getByRole("link", { name: "Votre code pour activer Mon espace santé" }).first();
    await first.click();
    await admin.waitForURL(/\/admin\/outbox\/.+\.eml$/);
    const text = await admin.getByTestId("outbox-text").innerText();
    expect(text).toMatch(CODE);
    expect(text).toContain("34 22");
    await screenshot(admin, "waves-outbox-message");
    await adminContext.close();
  });

  it("keeps the ministry viewer out of waves", async () => {
    const context = await ui.browser.newContext();
    const page = await context.newPage();
    await login(page, app.baseUrl, "ministere@demo.mes-ops.fr");
    const response = await page.goto(`${app.baseUrl}/waves`);
    expect(response?.status()).toBe(403);
    await context.close();
  });
});
