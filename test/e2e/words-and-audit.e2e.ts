import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import type { Page } from "playwright-core";
import { beforeAll, describe, expect, it } from "vitest";
import { createSmsGateway } from "../../app/domain/helpline/sms-gateway.server";
import { postponeDeadlines } from "../../app/domain/lifecycle/deadlines.server";
import { buildNir, maskNir } from "../../app/domain/persons/nir";
import { createEmailProvider } from "../../app/domain/waves/email-provider.server";
import { DEFAULT_SETTINGS } from "../../app/domain/waves/wave";
import { createWave } from "../../app/domain/waves/waves.server";
import { renderNotificationEmail } from "../../reports/emails/notification-email";
import { setupTestApp } from "./support/app";
import { browserAvailable, expectAccessible, login, screenshot, setupBrowser } from "./support/browser";

const DAY = 86_400_000;

async function pageText(page: Page): Promise<string> {
  return page.evaluate(() => document.body.innerText);
}

/**
 * Developer words left on a page: raw audit action names (`wave.created`), CLI options, paths to the
 * repository's docs, raw JSON. E-mail addresses (the actors) and the users' file names are not words of
 * the code.
 */
function developerWords(text: string): string[] {
  const words = text.replace(/[\w.+-]+@[\w.-]+/g, "").replace(/[\w.-]+\.(csv|xlsx|txt|eml|pdf)\b/g, "");
  return [
    ...(words.match(/\b[a-z_]+\.[a-z_]+\b/g) ?? []),
    ...(words.match(/--[a-z][a-z-]+/g) ?? []),
    ...(words.match(/docs\//g) ?? []),
    ...(words.match(/"\w+":/g) ?? []),
  ];
}

/** Every URL the page shows or offers: its address, its links and its forms' actions. */
async function urlsOf(page: Page): Promise<string[]> {
  const offered = await page.evaluate(() => [
    ...[...document.querySelectorAll("a[href]")].map((a) => (a as HTMLAnchorElement).href),
    ...[...document.querySelectorAll("form")].map((f) => f.action),
  ]);
  return [page.url(), ...offered];
}

describe.runIf(browserAvailable())("words on screen and audit of personal data (browser)", () => {
  const app = setupTestApp();
  const ui = setupBrowser();
  const fixture = { waveId: 0, personId: 0 };

  beforeAll(async () => {
    const { db, boss } = app.runtime;
    const manager = await db
      .selectFrom("app_user")
      .select(["id", "email"])
      .where("email", "=", "campagne@demo.mes-ops.fr")
      .executeTakeFirstOrThrow();
    const actor = { userId: manager.id, label: manager.email };
    fixture.waveId = await createWave(db, actor, {
      name: "Vague des libellés",
      segment: {
        departments: ["31"],
        mode: "pending",
        rollIds: [],
        ageMin: null,
        ageMax: null,
        hasEmail: "any",
      },
      settings: { ...DEFAULT_SETTINGS, startAt: new Date(Date.now() + 7 * DAY) },
    });
    const person = await db
      .insertInto("person")
      .values({
        nir: buildNir({ sex: 1, year: 1966, month: 3, department: "31", commune: 421, order: 77 }),
        last_name: "Garnier",
        first_name: "Paul",
        birth_date: "1966-03-02",
        department: "31",
        postal_code: "31000",
        city: "Toulouse",
        state: "notified",
        wave_id: fixture.waveId,
        notified_at: new Date(Date.now() - 3 * DAY),
        window_ends_at: new Date(Date.now() + 30 * DAY),
        state_changed_at: new Date(Date.now() - 3 * DAY),
      })
      .returning("id")
      .executeTakeFirstOrThrow();
    fixture.personId = person.id;
    // A postal strike: the window moves, and the person's timeline shows it (a `postpone` event).
    await postponeDeadlines(db, { boss }, actor, {
      scope: { kind: "wave", waveId: fixture.waveId },
      days: 7,
      reason: "grève postale",
    });
    const email = renderNotificationEmail({
      firstName: "Lina",
      lastName: "Morel",
      code: "ABCD-EFGH",
      windowEnd: new Date("2027-02-01T11:00:00Z"),
      codeExpiresAt: new Date("2027-03-01T11:00:00Z"),
    });
    await createEmailProvider(app.runtime.db, app.runtime.config).send({
      idempotencyKey: "words-and-audit-1",
      to: "lina.morel@exemple.fr",
      ...email,
    });
    // A code reset by SMS without a gateway: the outbox keeps it for the demo.
    await createSmsGateway(app.runtime.config).send({
      to: "+33612345678",
      text: "Mon espace santé : votre nouveau code provisoire est ABCD-EFGH. Ne le communiquez à personne.",
      idempotencyKey: "code-reset-e2e",
    });
  }, 60_000);

  async function pageAs(email: string): Promise<Page> {
    const page = await (await ui.browser.newContext()).newPage();
    await login(page, app.baseUrl, email);
    return page;
  }

  it("names every audit action in French and lists its details as labelled fields, not JSON", async () => {
    const page = await pageAs("admin@demo.mes-ops.fr");
    await page.goto(`${app.baseUrl}/admin/audit`);
    const audit = await pageText(page);
    expect(developerWords(audit)).toEqual([]);
    expect(audit).toContain("Vague créée");
    expect(audit).toContain("Report des fins de délai d'opposition");
    // Details as labelled fields: "jours : 7", "motif : grève postale".
    const postponed = page.getByRole("row", { name: /Report des fins de délai/ });
    await expect(postponed.innerText()).resolves.toMatch(/jours :\s*7/);
    await expect(postponed.innerText()).resolves.toMatch(/motif :\s*grève postale/);
    await screenshot(page, "words-admin-audit");
    await expectAccessible(page);
    await page.context().close();
  });

  it("names a wave's actions in French", async () => {
    const page = await pageAs("admin@demo.mes-ops.fr");
    await page.goto(`${app.baseUrl}/waves/${fixture.waveId}`);
    const actions = await page.getByRole("region", { name: "Journal des actions" }).innerText();
    expect(developerWords(actions)).toEqual([]);
    expect(actions).toContain("Vague créée");
    await screenshot(page, "words-wave-actions");
    await page.context().close();
  });

  it("names a postponement in a person's timeline, not « postpone → notifié »", async () => {
    const page = await pageAs("admin@demo.mes-ops.fr");
    await page.goto(`${app.baseUrl}/persons/${fixture.personId}`);
    const timeline = await page.getByRole("region", { name: "Historique" }).innerText();
    expect(timeline).not.toMatch(/postpone|→ notifié/);
    expect(timeline).toContain("Report de la fin du délai d'opposition");
    expect(timeline).toMatch(/de 7 jours, nouvelle fin le \d{1,2}(er)? [a-zéû]+ \d{4}/);
    await screenshot(page, "words-person-timeline");
    await page.context().close();
  });

  it("explains the roll upload without a path to the docs or a CLI option", async () => {
    const page = await pageAs("campagne@demo.mes-ops.fr");
    await page.goto(`${app.baseUrl}/rolls/upload`);
    expect(developerWords(await pageText(page))).toEqual([]);
    await screenshot(page, "words-roll-upload");
    await page.context().close();
  });

  it("sends an upload's CSRF token in its body: the address bar stays clean, a post without it is refused", async () => {
    const page = await pageAs("campagne@demo.mes-ops.fr");
    const dir = mkdtempSync(path.join(tmpdir(), "words-"));
    const file = path.join(dir, "oppositions.csv");
    writeFileSync(file, "NIR\n1 84 05 31 555 001 00\n");
    // The page answers in place (no redirect): the address is the form's.
    await page.goto(`${app.baseUrl}/oppositions/upload`);
    await page.getByLabel(/Fichier CSV ou classeur Excel/).setInputFiles(file);
    await page.getByRole("button", { name: "Enregistrer les oppositions" }).click();
    await page.getByRole("heading", { name: /Résultat pour oppositions\.csv/ }).waitFor();
    expect((await urlsOf(page)).filter((u) => u.includes("_csrf"))).toEqual([]);
    await screenshot(page, "words-oppositions-upload");
    const status = await page.evaluate(async () => {
      const body = new FormData();
      body.append("file", new Blob(["NIR\n"]), "x.csv");
      return (await fetch("/oppositions/upload", { method: "POST", body })).status;
    });
    expect(status).toBe(403);
    await page.context().close();
  });

  it("refuses a roll imported twice naming the page's option, not --force", async () => {
    const page = await pageAs("campagne@demo.mes-ops.fr");
    const roll = path.join(mkdtempSync(path.join(tmpdir(), "words-")), "caisse.csv");
    const nir = buildNir({ sex: 2, year: 1990, month: 6, department: "31", commune: 100, order: 5 });
    writeFileSync(
      roll,
      `NIR;Nom;Prénom;Date de naissance;Adresse;Code postal;Commune\n${nir};Roux;Léa;12/06/1990;1 rue Basse;31000;Toulouse\n`,
    );
    for (const state of ["Intégré", "Refusé"]) {
      await page.goto(`${app.baseUrl}/rolls/upload`);
      await page.getByLabel("Fichier CSV").setInputFiles(roll);
      await page.getByRole("button", { name: "Déposer et importer" }).click();
      await page.waitForURL(/\/rolls\/\d+$/);
      await page.getByTestId("roll-state").filter({ hasText: state }).waitFor({ timeout: 60_000 });
    }
    const refused = await pageText(page);
    expect(developerWords(refused)).toEqual([]);
    expect(refused).toContain("cochez « Forcer l'import d'un fichier déjà importé »");
    await screenshot(page, "words-roll-duplicate");
    await page.context().close();
  });

  async function openOutboxMessage(): Promise<Page> {
    const page = await pageAs("campagne@demo.mes-ops.fr");
    await page.goto(`${app.baseUrl}/admin/outbox`);
    await page.getByRole("link", { name: "Votre code pour activer Mon espace santé" }).first().click();
    await page.getByTestId("outbox-text").waitFor();
    return page;
  }

  it("dates an outbox message in Paris time, in French", async () => {
    const page = await openOutboxMessage();
    const text = await pageText(page);
    expect(text).not.toMatch(/GMT|UTC|\b(Mon|Tue|Wed|Thu|Fri|Sat|Sun),/);
    expect(text).toMatch(/envoyé le \d{1,2}(er)? [a-zéû]+ \d{4} à \d\d:\d\d/);
    await screenshot(page, "words-outbox-message");
    await page.context().close();
  });

  it("writes the first of the month « 1er » in French long dates", async () => {
    const page = await openOutboxMessage();
    const text = await page.getByTestId("outbox-text").innerText();
    expect(text).not.toMatch(
      /\b1 (janvier|février|mars|avril|mai|juin|juillet|août|septembre|octobre|novembre|décembre)\b/,
    );
    expect(text).toContain("lundi 1er février 2027");
    expect(text).toContain("1er mars 2027");
    await page.context().close();
  });

  it("lists the outbox's SMS with their number, text and cost", async () => {
    const page = await pageAs("admin@demo.mes-ops.fr");
    await page.goto(`${app.baseUrl}/admin/outbox`);
    const sms = page.getByRole("region", { name: "SMS de la boîte d'envoi" });
    await expect(sms.innerText()).resolves.toContain("+33612345678");
    const row = sms.getByRole("row", { name: /ABCD-EFGH/ });
    await expect(row.innerText()).resolves.toMatch(
      /Mon espace santé : votre nouveau code provisoire est ABCD-EFGH\.[\s\S]*\b1$/,
    );
    await screenshot(page, "words-outbox-sms");
    await expectAccessible(page);
  });

  it("audits the outbox's reads (its messages hold clear codes)", async () => {
    const page = await openOutboxMessage();
    const reads = await app.runtime.db
      .selectFrom("audit_log")
      .select("action")
      .where("action", "in", ["outbox.listed", "outbox.message_read"])
      .execute();
    expect(new Set(reads.map((r) => r.action))).toEqual(new Set(["outbox.listed", "outbox.message_read"]));
    await page.context().close();
  });

  const search = { nir: "", personId: 0, caseId: 0 };

  it("searches callers and persons by NIR without a NIR in any URL of the history or the page", async () => {
    const { db } = app.runtime;
    search.nir = buildNir({ sex: 2, year: 1979, month: 11, department: "31", commune: 222, order: 888 });
    const nir = search.nir;
    const person = await db
      .insertInto("person")
      .values({
        nir,
        last_name: "Barbier",
        first_name: "Inès",
        birth_date: "1979-11-08",
        department: "31",
        address_line: "4 rue des Tanneurs",
        postal_code: "31000",
        city: "Toulouse",
        state: "notified",
        notified_at: new Date(Date.now() - 4 * DAY),
        window_ends_at: new Date(Date.now() + 30 * DAY),
        state_changed_at: new Date(Date.now() - 4 * DAY),
      })
      .returning("id")
      .executeTakeFirstOrThrow();
    search.personId = person.id;
    const seen: string[] = [];
    const page = await (await ui.browser.newContext()).newPage();
    page.on("framenavigated", (frame) => {
      if (frame === page.mainFrame()) seen.push(frame.url());
    });
    const step = async (name: string) => {
      seen.push(...(await urlsOf(page)));
      await screenshot(page, `words-nir-${name}`);
    };
    await login(page, app.baseUrl, "conseiller@demo.mes-ops.fr");

    // The agent opens a case during a call and finds the caller by NIR.
    await page.goto(`${app.baseUrl}/helpline`);
    await page.getByRole("button", { name: "Ouvrir le dossier" }).click();
    await page.locator("h1", { hasText: /Dossier n° \d+/ }).waitFor();
    search.caseId = Number(/\/helpline\/cases\/(\d+)/.exec(page.url())?.[1]);
    await page.getByLabel("NIR (15 caractères)").fill(nir);
    await page.getByRole("button", { name: "Chercher par NIR" }).click();
    await page.getByRole("link", { name: "Vérifier l'identité" }).waitFor();
    await step("helpline-found");
    // And by name.
    await page.getByLabel("Nom de famille").fill("Barbier");
    await page.getByLabel("Date de naissance", { exact: true }).fill("1979-11-08");
    await page.getByRole("button", { name: "Chercher", exact: true }).click();
    await page.getByRole("link", { name: "Vérifier l'identité" }).waitFor();
    await step("helpline-by-name");
    await page.getByRole("link", { name: "Vérifier l'identité" }).click();
    await page.getByLabel(/Nom et prénom donnés/).check();
    await page.getByLabel(/Date de naissance :/).check();
    await page.getByLabel(/Code postal :/).check();
    await step("helpline-identity");
    await page.getByRole("button", { name: "Confirmer l'identité" }).click();
    await page.getByRole("alert").filter({ hasText: "Identité vérifiée" }).waitFor();
    await step("helpline-verified");
    expect(developerWords(await pageText(page))).toEqual([]);
    await expectAccessible(page);

    // The persons page: its result links hold the person's id only.
    await page.goto(`${app.baseUrl}/persons`);
    await page.getByLabel("NIR (15 caractères, espaces permis)").fill(nir);
    await page.getByRole("button", { name: "Rechercher" }).click();
    const found = page.getByRole("region", { name: "Assurés trouvés" }).getByRole("link");
    await expect.poll(() => found.count()).toBe(1);
    await step("persons-found");
    await expectAccessible(page);
    await found.click();
    await page.waitForURL(/\/persons\/\d+$/);
    await step("person-page");
    await page.goBack();
    await step("persons-back");

    const digits = nir.replace(/\D/g, "");
    const offending = seen.filter((u) => {
      const plain = decodeURIComponent(u).replace(/[^0-9A-Za-z]/g, "");
      return /\d{15}/.test(plain) || plain.includes(digits);
    });
    expect(offending).toEqual([]);
    expect(seen.length).toBeGreaterThan(10);
    await page.context().close();
  });

  it("audits each caller search, caller view and NIR search, the NIR masked", async () => {
    const entries = await app.runtime.db
      .selectFrom("audit_log")
      .select(["action", "object_type", "object_id", "details"])
      .where("action", "in", ["helpline.caller_searched", "helpline.person_viewed", "person.searched"])
      .orderBy("id")
      .execute();
    const digits = search.nir.replace(/\D/g, "");
    expect(JSON.stringify(entries.map((e) => e.details))).not.toContain(digits);
    const searches = entries.filter((e) => e.action === "helpline.caller_searched");
    expect(searches.map((e) => (e.details as { by: string }).by)).toEqual(["nir", "name"]);
    expect(searches[0]).toMatchObject({
      object_type: "helpline_case",
      object_id: String(search.caseId),
      details: { nirMasked: maskNir(search.nir), results: 1, personIds: [search.personId] },
    });
    expect(entries).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          action: "helpline.person_viewed",
          object_id: String(search.personId),
          details: expect.objectContaining({ caseId: search.caseId, stage: "identity_check" }),
        }),
        expect.objectContaining({
          action: "person.searched",
          object_id: String(search.personId),
          details: expect.objectContaining({ nirMasked: maskNir(search.nir), results: 1 }),
        }),
      ]),
    );
  });
});
