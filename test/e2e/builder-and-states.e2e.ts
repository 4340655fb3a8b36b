import { sql } from "kysely";
import type { Locator } from "playwright-core";
import { describe, expect, it, vi } from "vitest";
import { issueCode } from "../../app/domain/codes/codes.server";
import { addDays, parisDate, parisInstant, parisParts } from "../../app/domain/lifecycle/paris-time";
import { windowEnd } from "../../app/domain/lifecycle/window";
import { buildNir } from "../../app/domain/persons/nir";
import {
  DEFAULT_SETTINGS,
  letterNotifiedAt,
  segmentSchema,
  settingsSchema,
} from "../../app/domain/waves/wave";
import { createWave, scheduleWave } from "../../app/domain/waves/waves.server";
import { frenchLongDate } from "../../reports/letters/letter";
import { insertPersons } from "../factories";
import { pdfPages } from "../integration/waves-support";
import { setupTestApp } from "./support/app";
import { browserAvailable, login, screenshot, setupBrowser } from "./support/browser";

const shortDate = new Intl.DateTimeFormat("fr-FR", {
  timeZone: "Europe/Paris",
  day: "numeric",
  month: "long",
  year: "numeric",
});
const spaces = (s: string) => s.replace(/[\u00a0\u202f]/g, " ").replace(/\s+/g, " ");

describe.runIf(browserAvailable())("wave builder and misleading states (browser, issue 20)", () => {
  const app = setupTestApp();
  const ui = setupBrowser();

  it("the letter preview follows the builder's fields as edited, with no CSRF token in its URL", async () => {
    const context = await ui.browser.newContext();
    const page = await context.newPage();
    await login(page, app.baseUrl, "campagne@demo.mes-ops.fr");
    await page.goto(`${app.baseUrl}/waves/new?preset=pilot`);
    const start = addDays(parisDate(new Date()), 10);
    await page.getByLabel("Début (date, heure de Paris)").fill(start);
    await page.getByLabel("Fenêtre d'opposition (jours)").fill("30");
    await page.getByLabel("Délai postal (jours de distribution)").fill("2");
    const link = page.getByRole("link", { name: "Aperçu du courrier (PDF)" });
    // The href follows the edits (it used to keep the dates the page was loaded with).
    await expect
      .poll(async () =>
        new URL(`${app.baseUrl}${await link.getAttribute("href")}`).searchParams.get("startDate"),
      )
      .toBe(start);
    const href = (await link.getAttribute("href")) ?? "";
    const query = new URL(`${app.baseUrl}${href}`).searchParams;
    expect(query.get("windowDays")).toBe("30");
    expect(query.has("_csrf")).toBe(false);
    const response = await page.request.get(`${app.baseUrl}${href}`);
    expect(response.headers()["content-type"]).toContain("application/pdf");
    const [text] = await pdfPages(Buffer.from(await response.body()));
    const handOff = parisInstant(start, "12:00:00");
    const end = windowEnd(letterNotifiedAt(handOff, 2), 30);
    expect(spaces(text)).toContain(spaces(`Le ${shortDate.format(handOff)}`));
    expect(spaces(text)).toContain(spaces(frenchLongDate(end)));

    // "Mettre à jour l'aperçu" reloads the page from the fields, without the token in the address either.
    await page.getByRole("button", { name: "Mettre à jour l'aperçu" }).click();
    await page.waitForURL(/startDate=/);
    expect(new URL(page.url()).searchParams.has("_csrf")).toBe(false);
    expect(new URL(page.url()).searchParams.get("startDate")).toBe(start);
    await context.close();
  });

  it("records a paper opposition dated today, before noon in Paris too", async () => {
    // The upload route has no clock parameter (readPaperFile's `now` is not reachable over HTTP), but the
    // app runs in this process: the test fakes the process's Date (only Date: timers stay real) while the
    // form is posted. The file is dated with today's Paris date and the server's clock reads that same day
    // at 11:00 Paris at the latest — the bug (a form dated today refused as « date de réception dans le
    // futur ») showed before 12:00 Paris, so the test reproduces it whatever the hour it runs.
    const { db } = app.runtime;
    const [id] = await insertPersons(db, {
      count: 1,
      offset: 980_000,
      seed: 11,
      departments: ["44"],
      state: "notified",
      notifiedAt: new Date(Date.now() - 3 * 86_400_000),
      windowEndsAt: new Date(Date.now() + 39 * 86_400_000),
    });
    // Notified three days ago (the factory leaves state_changed_at at now: a form of today would be stale).
    await sql`UPDATE person SET state_changed_at = notified_at WHERE id = ${id}`.execute(db);
    const person = await sql<{ nir: string }>`SELECT nir FROM person WHERE id = ${id}`.execute(db);
    const nir = person.rows[0].nir.trim();
    const today = parisDate(new Date());
    const [y, m, d] = today.split("-");
    const morning = new Date(Math.min(Date.now(), parisInstant(today, "11:00:00").getTime()));
    expect(parisParts(morning).hour).toBeLessThan(12);
    const context = await ui.browser.newContext();
    const page = await context.newPage();
    await login(page, app.baseUrl, "campagne@demo.mes-ops.fr");
    await page.goto(`${app.baseUrl}/oppositions/upload`);
    await page.setInputFiles("#file", {
      name: "courrier-du-jour.csv",
      mimeType: "text/csv",
      buffer: Buffer.from(`NIR;Date de réception\r\n${nir};${d}/${m}/${y}\r\n`),
    });
    vi.useFakeTimers({ toFake: ["Date"], now: morning, shouldAdvanceTime: true });
    try {
      await page.getByRole("button", { name: "Enregistrer les oppositions" }).click();
      await page.getByRole("heading", { name: "Résultat pour courrier-du-jour.csv" }).waitFor();
    } finally {
      vi.useRealTimers();
    }
    const main = await page.locator("main").innerText();
    expect(main).not.toContain("dans le futur");
    expect(main).toContain("Aucune ligne refusée.");
    const state = await sql<{ state: string }>`SELECT state FROM person WHERE id = ${id}`.execute(db);
    expect(state.rows[0].state).toBe("opposed");
    await screenshot(page, "builder-states-paper-today");
    await context.close();
  });

  it("« Créer la file » creates a helpline queue (the audit writer took its code for a provisional one)", async () => {
    const context = await ui.browser.newContext();
    const page = await context.newPage();
    await login(page, app.baseUrl, "superviseur@demo.mes-ops.fr");
    await page.goto(`${app.baseUrl}/helpline/routing`);
    await page.getByLabel("Code", { exact: true }).fill("E2E-N9");
    await page.getByLabel("Nom", { exact: true }).fill("File e2e");
    await page.getByRole("button", { name: "Créer la file" }).click();
    await page.getByRole("alert").filter({ hasText: "File « File e2e » créée." }).waitFor();
    await expect
      .poll(() => page.getByRole("table", { name: "Files d'attente" }).innerText(), { timeout: 10_000 })
      .toContain("E2E-N9");
    const audit = await app.runtime.db
      .selectFrom("audit_log")
      .select("details")
      .where("action", "=", "helpline.queue_created")
      .orderBy("id", "desc")
      .executeTakeFirstOrThrow();
    expect(audit.details).toMatchObject({ queueCode: "E2E-N9", name: "File e2e", isEscalation: false });
    await context.close();
  });

  it("a bad search of /persons shows its error and says no search ran, never « Aucun assuré enregistré »", async () => {
    const context = await ui.browser.newContext();
    const page = await context.newPage();
    await login(page, app.baseUrl, "campagne@demo.mes-ops.fr");
    await page.goto(`${app.baseUrl}/persons`);
    await page.getByLabel("NIR (15 caractères, espaces permis)").fill("123");
    await page.getByRole("button", { name: "Rechercher" }).click();
    // The NIR search is posted (issue 20 item 8): answered in the page, the NIR never in the address.
    await page.locator("#nir-error").waitFor();
    expect(page.url()).not.toContain("123");
    await expect(page.locator("#nir-error").innerText()).resolves.toBeTruthy();
    await expect(page.locator("main").innerText()).resolves.not.toContain("Aucun assuré enregistré");
    await expect(page.getByTestId("persons-empty").innerText()).resolves.toContain("Recherche non lancée");
    // A date of birth alone that is not a date: its error, not "nobody recorded".
    await page.goto(`${app.baseUrl}/persons?birthDate=31%2F02%2F1990`);
    await expect(page.locator("#birthDate-error").innerText()).resolves.toBeTruthy();
    await expect(page.locator("main").innerText()).resolves.not.toContain("Aucun assuré enregistré");
    // A search parameter the form cannot produce: said in the form.
    await page.goto(`${app.baseUrl}/persons?state=inconnu`);
    await expect(page.getByRole("alert").innerText()).resolves.toContain("État de l'espace inconnu");
    await expect(page.locator("main").innerText()).resolves.not.toContain("Aucun assuré enregistré");
    // A valid search that finds nobody says so.
    await page.goto(`${app.baseUrl}/persons?firstName=Personne-Inexistante`);
    await expect(page.locator("main").innerText()).resolves.toContain(
      "Aucun assuré ne correspond à cette recherche.",
    );
    await context.close();
  });

  it("waves: no « Figés 0 » before materialisation, « terminée — aucun envoi » when nothing left, past start refused", async () => {
    const { db, boss } = app.runtime;
    const actor = { userId: null, label: "e2e" };
    const tomorrow = parisInstant(addDays(parisDate(new Date()), 1), "08:00:00");
    const settings = settingsSchema.parse({ ...DEFAULT_SETTINGS, startAt: tomorrow });
    // A scheduled wave the worker has not materialised yet (its plan job not enqueued).
    const waiting = await createWave(db, actor, {
      name: "Vague e2e en attente",
      segment: segmentSchema.parse({ departments: ["31"], mode: "pending" }),
      settings,
    });
    await db
      .updateTable("wave")
      .set({ status: "scheduled", scheduled_at: new Date() })
      .where("id", "=", waiting)
      .execute();
    // A wave whose segment matches nobody (aged 130): materialised with no member.
    const empty = await createWave(db, actor, {
      name: "Vague e2e sans destinataire",
      segment: segmentSchema.parse({ departments: ["31"], mode: "pending", ageMin: 130, ageMax: 130 }),
      settings,
    });
    await scheduleWave(db, { boss }, actor, empty);

    const context = await ui.browser.newContext();
    const page = await context.newPage();
    await login(page, app.baseUrl, "campagne@demo.mes-ops.fr");
    await page.goto(`${app.baseUrl}/waves/${waiting}`);
    await expect(page.getByTestId("stat-materialised").innerText()).resolves.toContain("—");
    await expect(page.getByTestId("wave-progress-text").innerText()).resolves.toContain("pas encore figés");
    await screenshot(page, "builder-states-wave-waiting");

    await page.goto(`${app.baseUrl}/waves/${empty}`);
    await expect
      .poll(
        async () => {
          await page.reload();
          return page.getByTestId("wave-status").innerText();
        },
        { timeout: 30_000, interval: 1000 },
      )
      .toBe("terminée — aucun envoi");
    await expect(page.getByTestId("wave-progress-text").innerText()).resolves.toContain("aucun destinataire");
    await screenshot(page, "builder-states-wave-empty");

    // The lifecycle demo's wave was written completed, with no batch ever sent by mes-ops.
    await page.goto(`${app.baseUrl}/waves`);
    await page
      .getByRole("link", { name: /Démonstration — pilote/ })
      .first()
      .click();
    await page.waitForURL(/\/waves\/\d+$/);
    await expect(page.getByTestId("wave-status").innerText()).resolves.toBe("terminée — aucun envoi");

    // A start date in the past is refused on its field.
    await page.goto(`${app.baseUrl}/waves/new?preset=pilot`);
    await page.getByLabel("Nom de la vague").fill("Vague e2e passée");
    await page.getByLabel("Début (date, heure de Paris)").fill(addDays(parisDate(new Date()), -2));
    await page.getByRole("button", { name: "Créer la vague (brouillon)" }).click();
    await expect(page.locator("#startDate-error").innerText()).resolves.toContain("dans le passé");
    await expect(page.locator("#startDate").getAttribute("aria-invalid")).resolves.toBe("true");
    expect(new URL(page.url()).pathname).toBe("/waves/new");
    await context.close();
  });

  it("an opposition revokes the caller's provisional code, and the helpline no longer shows it « actif »", async () => {
    const { db, config } = app.runtime;
    const nir = buildNir({ sex: 1, year: 1966, month: 9, department: "44", commune: 109, order: 777 });
    const person = await db
      .insertInto("person")
      .values({
        nir,
        last_name: "Kerbrat",
        first_name: "Loïc",
        birth_date: "1966-09-03",
        department: "44",
        address_line: "3 quai de la Fosse",
        postal_code: "44000",
        city: "Nantes",
        state: "notified",
        notified_at: new Date(Date.now() - 5 * 86_400_000),
        window_ends_at: new Date(Date.now() + 30 * 86_400_000),
        state_changed_at: new Date(Date.now() - 5 * 86_400_000),
      })
      .returning("id")
      .executeTakeFirstOrThrow();
    const { codeId } = await db
      .transaction()
      .execute((trx) =>
        issueCode(
          trx,
          { config },
          { personId: person.id, expiresAt: new Date(Date.now() + 40 * 86_400_000) },
        ),
      );

    const context = await ui.browser.newContext();
    const page = await context.newPage();
    await login(page, app.baseUrl, "conseiller@demo.mes-ops.fr");
    await page.goto(`${app.baseUrl}/helpline`);
    await page.getByRole("button", { name: "Dossier suivant" }).click();
    await page.locator("h1", { hasText: /Dossier n° \d+/ }).waitFor();
    await page.getByLabel("NIR (15 caractères)").fill(nir);
    await page.getByRole("button", { name: "Chercher par NIR" }).click();
    await page.getByRole("link", { name: "Vérifier l'identité" }).click();
    await page.getByLabel(/Nom et prénom donnés/).check();
    await page.getByLabel(/Date de naissance :/).check();
    await page.getByLabel(/Code postal :/).check();
    await page.getByRole("button", { name: "Confirmer l'identité" }).click();
    await page.getByRole("alert").filter({ hasText: "Identité vérifiée" }).waitFor();
    const caller = page.locator("section", { has: page.getByRole("heading", { name: "Appelant" }) });
    await screenshot(page, "builder-states-verified-caller");
    await expect.poll(() => caller.innerText(), { timeout: 10_000 }).toContain("code provisoire actif");

    await page.getByLabel("L'appelant confirme s'opposer à la création de son espace").check();
    await page.getByRole("button", { name: "Enregistrer l'opposition" }).click();
    await page.getByRole("alert").filter({ hasText: "Opposition enregistrée" }).waitFor();
    await expect.poll(() => caller.innerText(), { timeout: 10_000 }).toContain("code provisoire révoqué");
    const text = await caller.innerText();
    expect(text).toContain("opposé");
    expect(text).not.toContain("code provisoire actif");
    expect(text).toContain("code provisoire révoqué");
    await screenshot(page, "builder-states-opposed-code");
    const code = await db
      .selectFrom("provisional_code")
      .select(["revoked_at", "revoked_reason"])
      .where("id", "=", codeId)
      .executeTakeFirstOrThrow();
    expect(code.revoked_at).not.toBeNull();
    expect(code.revoked_reason).toBe("opposed");
    const event = await db
      .selectFrom("person_event")
      .select("details")
      .where("person_id", "=", person.id)
      .where("type", "=", "oppose")
      .executeTakeFirstOrThrow();
    expect(event.details).toMatchObject({ revokedCodeId: codeId });
    await context.close();
  });

  it("forms under errors: each message once, next to its field, no input stretched or moved sideways", async () => {
    const context = await ui.browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    const problems: string[] = [];
    /** The inputs' widths and left edges in the form, to compare before and after the errors. */
    const layout = (form: Locator) =>
      form.evaluate((el) =>
        Array.from(el.querySelectorAll<HTMLElement>("input:not([type=hidden]), select, textarea")).map(
          (i, n) => {
            const r = i.getBoundingClientRect();
            return {
              key: i.id || `${i.getAttribute("name")}#${n}`,
              left: Math.round(r.left),
              width: Math.round(r.width),
              height: Math.round(r.height),
            };
          },
        ),
      );
    /** Each error: once in the page, inside its field's box (.field or fieldset), named by that field. */
    const errorsOf = (form: Locator) =>
      form.evaluate((el) => {
        const found: string[] = [];
        const errors = Array.from(el.querySelectorAll<HTMLElement>(".field-error"));
        const page = document.querySelector("main") ?? document.body;
        const alerts = Array.from(page.querySelectorAll<HTMLElement>(".alert")).map((a) => a.innerText);
        const texts = errors.map((e) => e.innerText.trim());
        for (const [i, e] of errors.entries()) {
          const text = texts[i];
          if (texts.indexOf(text) !== i) found.push(`« ${text} » shown twice`);
          if (alerts.some((a) => a.includes(text))) found.push(`« ${text} » repeated in a banner`);
          const box = e.closest(".field, fieldset");
          if (!e.id) found.push(`« ${text} » has no id`);
          else if (!box) found.push(`« ${text} » outside any field`);
          else {
            const owner = Array.from(
              document.querySelectorAll<HTMLElement>(`[aria-describedby~="${e.id}"]`),
            ).find((o) => o === box || box.contains(o));
            if (!owner) found.push(`« ${text} » not next to the field it describes`);
          }
        }
        return { count: errors.length, found };
      });
    async function walk(name: string, form: Locator, fill: () => Promise<void>, submit: () => Promise<void>) {
      await fill();
      const before = await layout(form);
      await submit();
      await page
        .locator(".field-error, .alert-error")
        .first()
        .waitFor({ timeout: 10_000 })
        .catch(() => problems.push(`${name}: no error shown`));
      await screenshot(page, `forms-errors-${name}`);
      const after = await layout(form);
      for (const b of before) {
        const a = after.find((x) => x.key === b.key);
        if (
          a &&
          (Math.abs(a.width - b.width) > 1 ||
            Math.abs(a.left - b.left) > 1 ||
            Math.abs(a.height - b.height) > 1)
        )
          problems.push(
            `${name}: ${b.key} moved or stretched (${b.left}/${b.width}×${b.height} → ${a.left}/${a.width}×${a.height})`,
          );
      }
      const errors = await errorsOf(form);
      if (errors.count === 0) problems.push(`${name}: no field error`);
      for (const f of errors.found) problems.push(`${name}: ${f}`);
    }

    await login(page, app.baseUrl, "campagne@demo.mes-ops.fr");
    await page.goto(`${app.baseUrl}/waves/new?preset=pilot`);
    const wave = page.locator("form.wave-form");
    await walk(
      "wave-builder",
      wave,
      async () => {
        await page.getByLabel("Nom de la vague").fill("x");
        await page.getByLabel("Âge minimum").fill("70");
        await page.getByLabel("Âge maximum").fill("20");
        await page.getByLabel("Courriers par jour (imprimeur)").fill("0");
        await page.getByLabel("Début (date, heure de Paris)").fill(addDays(parisDate(new Date()), -3));
      },
      () => page.getByRole("button", { name: "Créer la vague (brouillon)" }).click(),
    );
    // The age order is said once, under the maximum age — not again under « Départements ».
    expect(await page.locator("#departments-error").count()).toBe(0);
    await expect(page.locator("#ageMax-error").innerText()).resolves.toContain("âge maximum");

    await page.goto(`${app.baseUrl}/rolls/upload`);
    await walk(
      "rolls-upload",
      page.locator("form", { has: page.getByLabel("Fichier CSV") }),
      () =>
        page
          .getByLabel("Fichier CSV")
          .setInputFiles({ name: "vide.csv", mimeType: "text/csv", buffer: Buffer.alloc(0) }),
      () => page.getByRole("button", { name: "Déposer et importer" }).click(),
    );
    await page.context().clearCookies();

    await login(page, app.baseUrl, "admin@demo.mes-ops.fr");
    await page.goto(`${app.baseUrl}/admin/users/new`);
    await walk(
      "users-new",
      page.locator("main form"),
      async () => {
        await page.getByLabel("Adresse e-mail").fill("pas-une-adresse");
        await page.getByLabel("Nom affiché").fill("x");
      },
      () => page.getByRole("button", { name: "Créer le compte" }).click(),
    );

    await page.goto(`${app.baseUrl}/kpi/targets`);
    await walk(
      "kpi-targets",
      page.locator("form", { has: page.getByLabel(/Valeur cible/) }),
      async () => {
        await page.getByLabel(/Valeur cible/).fill("beaucoup");
        await page.getByLabel("Source ou justification").fill("x".repeat(301));
      },
      () => page.getByRole("button", { name: "Enregistrer la cible" }).click(),
    );
    await page.context().clearCookies();

    await login(page, app.baseUrl, "superviseur@demo.mes-ops.fr");
    await page.goto(`${app.baseUrl}/helpline/routing`);
    await walk(
      "helpline-queue",
      page.locator("form", { has: page.getByLabel("Code", { exact: true }) }),
      async () => {
        await page.getByLabel("Code", { exact: true }).fill("x");
        await page.getByLabel("Nom", { exact: true }).fill("Une file dont le nom est long");
      },
      () => page.getByRole("button", { name: "Créer la file" }).click(),
    );
    await context.close();
    expect(problems).toEqual([]);
  });
});
