import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import { setupTestApp } from "./support/app";
import { browserAvailable, expectAccessible, login, screenshot, setupBrowser } from "./support/browser";

describe.runIf(browserAvailable())("KPI dashboard (ministry viewer, browser)", () => {
  const app = setupTestApp();
  const ui = setupBrowser();

  it("opens the dashboard, filters, shows a chart as a table, downloads the CSV and the PDF", async () => {
    const context = await ui.browser.newContext({
      acceptDownloads: true,
      viewport: { width: 1400, height: 1000 },
    });
    const page = await context.newPage();
    await login(page, app.baseUrl, "ministere@demo.mes-ops.fr");
    await page
      .getByRole("navigation", { name: "Navigation principale" })
      .getByRole("link", { name: "Indicateurs" })
      .click();
    await page.getByRole("heading", { level: 1, name: "Indicateurs de la feuille de route" }).waitFor();
    // Charts render after hydration (recharts measures the DOM); the server sent the tables.
    await page.locator('[data-chart="documents-years"] .recharts-surface').first().waitFor();
    await page.locator('[data-chart="vendors"] .recharts-surface').first().waitFor();
    expect(await page.getByText("Données de démonstration").first().isVisible()).toBe(true);
    expect(await page.getByText("Règle : valeur projetée").first().isVisible()).toBe(true);
    expect(await page.locator(".stat .badge").count()).toBeGreaterThanOrEqual(3);
    await screenshot(page, "kpi-dashboard");
    await expectAccessible(page);

    // Filters: a department and a document source, from 2024.
    await page.getByLabel("Du mois").fill("2024-01");
    await page.getByLabel("Département (campagne)").selectOption("31");
    await page.getByLabel("Ventilation").selectOption("hopitaux");
    await page.getByRole("button", { name: "Appliquer les filtres" }).click();
    await page.waitForURL(/department=31/);
    expect(page.url()).toContain("breakdown=hopitaux");
    expect(page.url()).toContain("from=2024-01");
    await page.getByRole("heading", { name: "Documents déposés par an — Hôpitaux" }).waitFor();
    await page.getByRole("heading", { name: "Campagne : parcours des assurés — département 31" }).waitFor();
    await page.locator('[data-chart="funnel"] .recharts-surface').first().waitFor();
    await screenshot(page, "kpi-dashboard-filtered");

    // The funnel chart as its accessible table.
    const funnel = page.locator('[data-chart="funnel"]');
    await funnel.getByRole("button", { name: "Afficher le tableau" }).click();
    const table = funnel.getByRole("table");
    await table.waitFor();
    expect(
      await funnel.getByRole("button", { name: "Afficher le graphique" }).getAttribute("aria-pressed"),
    ).toBe("true");
    expect(await table.locator("thead th").allInnerTexts()).toEqual([
      "Mois",
      "Notifiés",
      "Activés",
      "Oppositions",
      "Créés automatiquement",
      "Clôturés",
    ]);
    expect(await table.locator("tbody tr").first().locator("th").innerText()).toBe("janvier 2024");
    await funnel.scrollIntoViewIfNeeded();
    await screenshot(page, "kpi-funnel-table");
    await expectAccessible(page);

    // CSV: UTF-8 with BOM, `;`, decimal comma, small cells suppressed.
    const [csvDownload] = await Promise.all([
      page.waitForEvent("download"),
      funnel.getByRole("link", { name: "Télécharger en CSV" }).click(),
    ]);
    const csv = await readFile((await csvDownload.path()) as string);
    expect([...csv.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    const lines = csv.toString("utf8").slice(1).split("\r\n");
    expect(lines[0]).toBe("Mois;Notifiés;Activés;Oppositions;Créés automatiquement;Clôturés");
    expect(lines[1]).toMatch(/^janvier 2024;(\d+|< 10);(\d+|< 10);(\d+|< 10);(\d+|< 10);(\d+|< 10)$/);
    const doctors = page.locator('[data-chart="doctors"]');
    const [pctDownload] = await Promise.all([
      page.waitForEvent("download"),
      doctors.getByRole("link", { name: "Télécharger en CSV" }).click(),
    ]);
    const pct = (await readFile((await pctDownload.path()) as string)).toString("utf8");
    expect(pct).toMatch(/\r\njanvier 2024;\d+,\d;/);

    // The PDF for the filters on screen.
    const [pdfDownload] = await Promise.all([
      page.waitForEvent("download"),
      page.getByRole("link", { name: "Télécharger le rapport PDF" }).click(),
    ]);
    const pdf = await readFile((await pdfDownload.path()) as string);
    expect(pdf.subarray(0, 5).toString()).toBe("%PDF-");
    expect(pdf.length).toBeGreaterThan(20_000);
    await context.close();
  });

  it("shows the published figures as markers with their source, the « démo » labels and the department table", async () => {
    const context = await ui.browser.newContext({ viewport: { width: 1400, height: 1000 } });
    const page = await context.newPage();
    await login(page, app.baseUrl, "ministere@demo.mes-ops.fr");
    await page.goto(`${app.baseUrl}/kpi`);
    const provenance = page.locator('[data-note="provenance"]');
    expect(await provenance.innerText()).toContain("Publiés : chiffres officiels");
    expect(await provenance.innerText()).toMatch(/Démo \(séries générées[^)]*\) : .*Connexions par mois/);

    // Activated spaces: the campaign's running total (demo here) and the published points as markers.
    const stock = page.locator('[data-chart="activated-stock"]');
    await stock.locator(".recharts-surface").first().waitFor();
    expect(await stock.locator("path.kpi-marker").count()).toBe(7); // 6 figures + the 2027 goal
    expect(await stock.locator(".kpi-kinds").innerText()).toContain("publié");
    expect(await stock.locator(".kpi-kinds").innerText()).toContain("démo");
    expect(await stock.locator(".kpi-point-sources").innerText()).toContain(
      "Chiffre publié (janvier 2026) : Caisse nationale de l'Assurance Maladie",
    );
    // The tooltip of a marker names its source and date.
    await stock.scrollIntoViewIfNeeded();
    await stock.locator("path.kpi-marker").nth(5).hover();
    const tooltip = stock.locator(".recharts-tooltip-wrapper");
    await tooltip.getByText(/publié le 30 janvier 2026/).waitFor();
    await stock.screenshot({ path: "test/e2e/screenshots/kpi-activated-stock-card.png" });
    await screenshot(page, "kpi-activated-stock-tooltip");

    // Demo series are labelled « démo », the series and the badge.
    const connections = page.locator('[data-chart="connections"]');
    expect(await connections.locator(".kpi-kinds").getAttribute("data-kinds")).toBe("demo");
    expect(await connections.locator(".recharts-legend-wrapper").innerText()).toContain("Site web (démo)");
    const sectors = page.locator('[data-chart="documents-sectors"]');
    expect(await sectors.locator(".kpi-kinds").getAttribute("data-kinds")).toBe("published demo");
    await sectors.scrollIntoViewIfNeeded();
    await screenshot(page, "kpi-sectors");
    await sectors.screenshot({ path: "test/e2e/screenshots/kpi-sectors-card.png" });

    // The department table: the whole country first, then by department number.
    const departments = page.locator('[data-chart="departments"]');
    const heads = await departments.locator("tbody th").allInnerTexts();
    expect(heads[0]).toBe("France entière");
    expect(heads.length).toBeGreaterThan(2);
    const numbers = heads.slice(1);
    expect(numbers).toEqual(
      [...numbers].sort((a, b) =>
        a
          .replace("2A", "20.1")
          .replace("2B", "20.2")
          .localeCompare(b.replace("2A", "20.1").replace("2B", "20.2"), "fr", { numeric: true }),
      ),
    );
    expect(await departments.locator("thead th").allInnerTexts()).toEqual([
      "Département",
      "Notifiés",
      "Activés",
      "Taux d'activation",
    ]);
    await departments.scrollIntoViewIfNeeded();
    await screenshot(page, "kpi-departments");
    await departments.screenshot({ path: "test/e2e/screenshots/kpi-departments-card.png" });

    // The published figures with their sources and dates.
    const reference = page.locator('[data-section="reference"]');
    await reference.scrollIntoViewIfNeeded();
    expect(await reference.locator("tbody tr").count()).toBe(15);
    const text = await reference.innerText();
    expect(text.replace(/[\u00a0\u202f]/g, " ")).toContain("239 000 000");
    expect(text).toContain("6 février 2024");
    expect(text).toContain("(adresse non relevée)");
    expect(
      await reference
        .getByRole("link", { name: "« Les chiffres clés du déploiement du Ségur du numérique en santé »" })
        .first()
        .getAttribute("href"),
    ).toBe("https://esante.gouv.fr/segur/transparence");
    await screenshot(page, "kpi-reference");
    await reference.screenshot({ path: "test/e2e/screenshots/kpi-reference-card.png" });
    await expectAccessible(page);

    // The department table downloads as CSV, like the other tables.
    const csv = await page.request.get(`${app.baseUrl}/kpi/export?chart=departments`);
    expect(csv.status()).toBe(200);
    expect((await csv.text()).split("\r\n")[0]).toBe("\ufeffDépartement;Notifiés;Activés;Taux d'activation");
    await context.close();
  });

  it("asks for a monthly report, finds it in the archive and downloads it", async () => {
    const context = await ui.browser.newContext({ acceptDownloads: true });
    const page = await context.newPage();
    await login(page, app.baseUrl, "ministere@demo.mes-ops.fr");
    await page.goto(`${app.baseUrl}/kpi/reports`);
    await page.getByRole("button", { name: /Générer maintenant le rapport/ }).click();
    await page.getByText("Rapport demandé").waitFor();
    // The worker of the test app generates it: reload until it is listed.
    const link = page.getByRole("link", { name: /Télécharger le PDF/ }).first();
    for (let i = 0; i < 40 && !(await link.isVisible()); i++) {
      await new Promise((r) => setTimeout(r, 500));
      await page.goto(`${app.baseUrl}/kpi/reports`);
    }
    expect(await page.getByRole("cell", { name: "À la demande" }).count()).toBe(1);
    await screenshot(page, "kpi-reports");
    await expectAccessible(page);
    const [download] = await Promise.all([page.waitForEvent("download"), link.click()]);
    const pdf = await readFile((await download.path()) as string);
    expect(pdf.subarray(0, 5).toString()).toBe("%PDF-");
    await context.close();
  });

  it("never shows a person to the ministry viewer (403), nor the import page", async () => {
    const context = await ui.browser.newContext();
    const page = await context.newPage();
    await login(page, app.baseUrl, "ministere@demo.mes-ops.fr");
    // The person page belongs to the rolls context; until it exists, another person-revealing page stands in.
    const personPage = existsSync("app/routes/persons.$personId.tsx") ? "/persons/1" : "/helpline/cases/1";
    const response = await page.goto(`${app.baseUrl}${personPage}`);
    expect(response?.status()).toBe(403);
    expect(await page.locator("h1").innerText()).toBe("Accès refusé (403)");
    await screenshot(page, "kpi-ministry-person-403");
    expect((await page.goto(`${app.baseUrl}/kpi/import`))?.status()).toBe(403);
    expect(await page.getByRole("link", { name: "Import d'indicateurs" }).count()).toBe(0);
    await context.close();
  });

  it("lets an admin import figures (rejects first, then a revision), recompute the campaign and set a target", async () => {
    const context = await ui.browser.newContext({ viewport: { width: 1400, height: 1000 } });
    const page = await context.newPage();
    await login(page, app.baseUrl, "admin@demo.mes-ops.fr");
    await page.goto(`${app.baseUrl}/kpi/import`);
    await page.getByLabel("Fichier des chiffres mensuels (CSV ou Excel)").setInputFiles({
      name: "documents-mauvais.csv",
      mimeType: "text/csv",
      buffer: Buffer.from(
        "indicateur;periode;valeur;unite;ventilation\r\ndocuments_deposited;2024-13;12 000 000;nombre;hopitaux\r\ndocuments_deposited;2024-02;-3;nombre;cliniques\r\n",
      ),
    });
    await page.getByRole("button", { name: "Importer" }).click();
    const alert = page.getByRole("alert");
    await alert.waitFor();
    expect(await alert.innerText()).toContain("3 erreur(s) sur 2 ligne(s)");
    expect(await alert.getByRole("row").nth(1).innerText()).toContain("période invalide");
    await screenshot(page, "kpi-import-rejects");
    await expectAccessible(page);

    await page.getByLabel("Fichier des chiffres mensuels (CSV ou Excel)").setInputFiles({
      name: "documents-corrige.csv",
      mimeType: "text/csv",
      buffer: Buffer.from(
        "indicateur;periode;valeur;unite;ventilation\r\ndocuments_deposited;2024-03;12 000 000;nombre;hopitaux\r\n",
      ),
    });
    await page.getByRole("button", { name: "Importer" }).click();
    await page.getByText("documents-corrige.csv importé").waitFor();
    expect(await page.getByText("0 nouvelle(s), 1 révisée(s)").count()).toBe(1);

    expect(
      await page
        .getByText(/documents_deposited 2024-03 hopitaux : [\d\s]+ → 12\s000\s000 \(révision 2\)/)
        .count(),
    ).toBe(1);
    await screenshot(page, "kpi-import-revision");

    await page.getByRole("button", { name: "Recalculer les indicateurs de la campagne" }).click();
    await page.waitForURL(/campaign=(queued|already)/);

    await page.goto(`${app.baseUrl}/kpi/targets`);
    await page.getByLabel("Indicateur").selectOption("documents_deposited");
    await page.getByLabel("Année").fill("2026");
    await page.getByLabel(/Valeur cible/).fill("410 000 000");
    await page.getByLabel("Source ou justification").fill("Révision de la feuille de route");
    await page.getByRole("button", { name: "Enregistrer la cible" }).click();
    await page.getByText("Cible enregistrée").waitFor();
    await page.getByRole("cell", { name: /^410\s000\s000$/ }).waitFor();
    expect(await page.getByText(/Remplacée le/).count()).toBeGreaterThanOrEqual(1);
    await screenshot(page, "kpi-targets");
    await expectAccessible(page);
    await context.close();
  });

  it("renders every chart's table on the server, so the dashboard reads without JavaScript", async () => {
    const context = await ui.browser.newContext({ javaScriptEnabled: false });
    const page = await context.newPage();
    await login(page, app.baseUrl, "ministere@demo.mes-ops.fr");
    await page.goto(`${app.baseUrl}/kpi?from=2025-01&department=44`);
    expect(await page.locator("[data-chart] table").count()).toBe(await page.locator("[data-chart]").count());
    expect(await page.locator(".recharts-surface").count()).toBe(0);
    expect(
      await page.getByRole("heading", { name: "Campagne : parcours des assurés — département 44" }).count(),
    ).toBe(1);
    await context.close();
  });
});
