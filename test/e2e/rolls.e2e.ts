import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import iconv from "iconv-lite";
import { describe, expect, it } from "vitest";
import { buildNir } from "../../app/domain/persons/nir";
import { writeSyntheticRoll } from "../../cli/synthetic-roll";
import { setupTestApp } from "./support/app";
import { browserAvailable, expectAccessible, login, screenshot, setupBrowser } from "./support/browser";

describe.runIf(browserAvailable())("rolls and persons (browser)", () => {
  const app = setupTestApp();
  const ui = setupBrowser();
  const dir = mkdtempSync(path.join(os.tmpdir(), "mes-ops-e2e-rolls-"));

  it("uploads a roll, watches the progress bar finish, opens the rejects and downloads them", async () => {
    const file = path.join(dir, "fichier-caisse-31.csv");
    await writeSyntheticRoll(file, {
      rows: 60_000,
      errorShare: 0.01,
      encoding: "windows-1252",
      lineEnding: "CRLF",
      departments: ["31"],
      seed: 99,
      offset: 3_000_000,
    });
    const context = await ui.browser.newContext({ acceptDownloads: true });
    const page = await context.newPage();
    await login(page, app.baseUrl, "campagne@demo.mes-ops.fr");
    await page.goto(`${app.baseUrl}/rolls`);
    // The demo seed's rolls are listed.
    await expect(page.getByRole("link", { name: /démo — rôle pilote/ }).count()).resolves.toBe(1);
    await expectAccessible(page);
    await screenshot(page, "rolls-list");

    await page.getByRole("link", { name: "Déposer un fichier" }).click();
    await page.waitForURL(/\/rolls\/upload/);
    await expectAccessible(page);
    await page.getByLabel("Fichier CSV").setInputFiles(file);
    await screenshot(page, "rolls-upload");
    await page.getByRole("button", { name: "Déposer et importer" }).click();
    await page.waitForURL(/\/rolls\/\d+$/);

    // Live progress: the bar is shown while the import runs (polling), then the page shows the result.
    const bar = page.getByRole("progressbar", { name: "Octets lus" });
    const sawBar = await bar.waitFor({ timeout: 5000 }).then(
      () => true,
      () => false,
    );
    if (sawBar) await screenshot(page, "roll-progress");
    await expect(
      page.getByTestId("roll-state").filter({ hasText: "Intégré" }).waitFor({ timeout: 120_000 }),
    ).resolves.toBeUndefined();
    await bar.waitFor({ state: "detached" });
    await page.getByText("Lignes valides").waitFor();
    await expect(
      page.getByText("Windows-1252, séparateur point-virgule (;), fins de ligne Windows (CRLF)"),
    ).toBeTruthy();
    const rejectsTable = page.getByRole("region", { name: /Lignes refusées par motif/ });
    await expect(rejectsTable.getByRole("row").count()).resolves.toBeGreaterThan(3);
    await expect(
      rejectsTable
        .getByText(/clé NIR invalide \(attendue \d\d, lue \d\d\)/)
        .first()
        .isVisible(),
    ).resolves.toBe(true);
    await expectAccessible(page);
    await screenshot(page, "roll-merged");

    const [download] = await Promise.all([
      page.waitForEvent("download"),
      page.getByRole("link", { name: "Télécharger les lignes refusées (CSV)" }).click(),
    ]);
    const saved = path.join(dir, "rejets.csv");
    await download.saveAs(saved);
    const csv = iconv.decode(readFileSync(saved), "win1252");
    const lines = csv.split("\r\n");
    expect(lines[0]).toBe(
      "ligne;champ;motif;NIR;Nom;Prénom;Date de naissance;Adresse;Code postal;Commune;Département;Courriel;Téléphone;NIR ouvrant droit",
    );
    expect(lines[1]).toMatch(/^\d+;/);
    expect(lines.length).toBeGreaterThan(100);
    await context.close();
  });

  it("shows a roll with a NUL byte and a control character in names: those lines refused with the character and its position", async () => {
    const nir = (order: number) =>
      buildNir({ sex: 1, year: 1984, month: 5, department: "31", commune: 555, order });
    const header = "NIR;Nom;Prénom;Date de naissance;Adresse;Code postal;Commune";
    const rows = [
      `${nir(701)};Lef\u0000vre;Hélène;17/05/1984;1 rue Haute;31000;Toulouse`,
      `${nir(702)};Martin;Jean\u0007;17/05/1984;2 rue Haute;31000;Toulouse`,
      `${nir(703)};LEFÈVRE;Élodie;17/05/1984;3 rue Haute;31000;Toulouse`,
    ];
    const file = path.join(dir, "caisse-controle.csv");
    writeFileSync(file, `${header}\n${rows.join("\n")}\n`);
    const page = await ui.browser.newPage();
    await login(page, app.baseUrl, "campagne@demo.mes-ops.fr");
    await page.goto(`${app.baseUrl}/rolls/upload`);
    await page.getByLabel("Fichier CSV").setInputFiles(file);
    await page.getByRole("button", { name: "Déposer et importer" }).click();
    await page.waitForURL(/\/rolls\/\d+$/);
    // 2 refused lines of 3 is over the 5 % threshold: the roll waits for the manager's decision.
    await page
      .getByTestId("roll-state")
      .filter({ hasText: "En attente de décision" })
      .waitFor({ timeout: 60_000 });
    const rejects = page.getByRole("region", { name: /Lignes refusées par motif/ });
    await rejects.getByText("ligne 2 (Nom) : nom : caractère de contrôle U+0000 en position 4").waitFor();
    await rejects
      .getByText("ligne 3 (Prénom) : prénom : caractère de contrôle U+0007 en position 5")
      .waitFor();
    await page.getByText("Confirmer intègre la seule ligne valide ; abandonner n'intègre rien.").waitFor();
    await expectAccessible(page);
    await screenshot(page, "roll-control-characters");
    await page.close();
  });

  it("searches persons and shows a person page with a masked NIR to a helpline agent", async () => {
    const context = await ui.browser.newContext();
    const page = await context.newPage();
    await login(page, app.baseUrl, "conseiller@demo.mes-ops.fr");
    await page.goto(`${app.baseUrl}/persons`);
    await page.getByLabel("Département").fill("2A");
    await page.getByRole("button", { name: "Rechercher" }).click();
    await page.waitForURL(/department=2A/);
    const rows = page.getByRole("region", { name: "Assurés trouvés" }).getByRole("row");
    await expect(rows.count()).resolves.toBeGreaterThan(1);
    const firstNir = await rows.nth(1).getByRole("link").innerText();
    expect(firstNir).toMatch(/^[12] \d\d \d\d \*\* \*\*\* \*\*\* \d\d$/);
    await expectAccessible(page);
    await screenshot(page, "persons-search-agent");

    await page.getByLabel("NIR (15 caractères, espaces permis)").fill("1 84 05 31 555 001 00");
    await page.getByRole("button", { name: "Rechercher" }).click();
    await page.getByText(/clé NIR invalide/).waitFor();

    // By roll: the demo's first roll (a first load, found by its block of ids), in Corsica.
    await page.goto(`${app.baseUrl}/persons?roll=1&department=2A`);
    await expect(rows.count()).resolves.toBeGreaterThan(1);
    await expect(rows.nth(1).getByRole("cell").nth(4).innerText()).resolves.toBe("2A");
    // A roll number that is not one: said on the field, whatever its length.
    for (const bad of ["12ab", "99999999999999999999"]) {
      await page.goto(`${app.baseUrl}/persons?roll=${bad}`);
      await page.getByText(/numéro de fichier attendu/).waitFor();
    }

    await page.goto(`${app.baseUrl}/persons?department=2A`);
    await page.getByRole("region", { name: "Assurés trouvés" }).getByRole("link").first().click();
    await page.waitForURL(/\/persons\/\d+$/);
    await expect(page.getByTestId("person-nir").innerText()).resolves.toMatch(/\*\* \*\*\* \*\*\*/);
    await page.getByRole("heading", { name: "Historique" }).waitFor();
    await expectAccessible(page);
    await screenshot(page, "person-page-agent");
    await context.close();
  });

  it("shows the full NIR and the contact history to a supervisor", async () => {
    const db = app.runtime.db;
    const changed = await db
      .selectFrom("person_contact_history")
      .select("person_id")
      .limit(1)
      .executeTakeFirstOrThrow();
    const context = await ui.browser.newContext();
    const page = await context.newPage();
    await login(page, app.baseUrl, "superviseur@demo.mes-ops.fr");
    await page.goto(`${app.baseUrl}/persons/${changed.person_id}`);
    await expect(page.getByTestId("person-nir").innerText()).resolves.toMatch(
      /^[12] \d\d \d\d (\d\d|2A|2B) \d{3} \d{3} \d\d$/,
    );
    await expect(
      page.getByRole("region", { name: "Coordonnées précédentes" }).getByRole("row").count(),
    ).resolves.toBeGreaterThan(1);
    await screenshot(page, "person-page-supervisor");
    const views = await db
      .selectFrom("audit_log")
      .select("object_id")
      .where("action", "=", "person.viewed")
      .execute();
    expect(views.length).toBeGreaterThanOrEqual(2);
    await context.close();
  });

  it("never lets the ministry reach persons or rolls", async () => {
    const context = await ui.browser.newContext();
    const page = await context.newPage();
    await login(page, app.baseUrl, "ministere@demo.mes-ops.fr");
    for (const url of ["/persons", "/rolls", "/rolls/1"]) {
      const response = await page.goto(`${app.baseUrl}${url}`);
      expect(response?.status()).toBe(403);
    }
    await context.close();
  });
});
