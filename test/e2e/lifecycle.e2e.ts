import { sql } from "kysely";
import { describe, expect, it } from "vitest";
import { issueCode } from "../../app/domain/codes/codes.server";
import { addDays, endOfParisDay, parisDate } from "../../app/domain/lifecycle/paris-time";
import { QUEUES } from "../../app/infra/queues";
import { insertPersons } from "../factories";
import { setupTestApp } from "./support/app";
import { browserAvailable, expectAccessible, login, screenshot, setupBrowser } from "./support/browser";

const DAY = 86_400_000;

describe.runIf(browserAvailable())("six-week window (browser)", () => {
  const app = setupTestApp();
  const ui = setupBrowser();

  it("activates and opposes through the demo portal, sweeps the rest, and the funnel shows the three", async () => {
    const { db, config, boss } = app.runtime;
    const wave = await sql<{ id: number }>`
      INSERT INTO wave (name, segment, settings) VALUES ('Vague e2e', '{}'::jsonb, '{}'::jsonb) RETURNING id`.execute(
      db,
    );
    const waveId = wave.rows[0].id;
    const yesterday = addDays(parisDate(new Date()), -1);
    // A and B: notified, window still open; C and D: window ended yesterday, nobody acted.
    const [a, b] = await insertPersons(db, {
      count: 2,
      offset: 970_000,
      seed: 7,
      departments: ["80"],
      state: "notified",
      notifiedAt: new Date(Date.now() - 3 * DAY),
      windowEndsAt: endOfParisDay(addDays(parisDate(new Date()), 39)),
    });
    const late = await insertPersons(db, {
      count: 2,
      offset: 970_100,
      seed: 8,
      departments: ["80"],
      state: "notified",
      notifiedAt: new Date(Date.now() - 43 * DAY),
      windowEndsAt: endOfParisDay(yesterday),
    });
    await sql`UPDATE person SET wave_id = ${waveId}, state_changed_at = notified_at WHERE id = ANY(${[a, b, ...late]}::bigint[])`.execute(
      db,
    );
    const people = await sql<{
      id: number;
      nir: string;
    }>`SELECT id, nir FROM person WHERE id IN (${a}, ${b})`.execute(db);
    const nirOf = (id: number) => people.rows.find((p) => p.id === id)?.nir.trim() ?? "";
    const codes = await db.transaction().execute(async (trx) => ({
      a: (await issueCode(trx, { config }, { personId: a, expiresAt: new Date(Date.now() + 40 * DAY) }))
        .clearCode,
      b: (await issueCode(trx, { config }, { personId: b, expiresAt: new Date(Date.now() + 40 * DAY) }))
        .clearCode,
    }));

    // 1. Person A activates on the demo portal (no staff login).
    const portal = await ui.browser.newPage();
    await portal.goto(`${app.baseUrl}/portal`);
    await expectAccessible(portal);
    await portal.getByLabel("Numéro de sécurité sociale").fill(nirOf(a));
    await portal.getByLabel("Code provisoire").fill("ABCD-EFGH-JKMNP");
    await portal.getByRole("button", { name: "Activer mon espace" }).click();
    await expect(portal.getByRole("alert").innerText()).resolves.toContain("Code provisoire incorrect");
    await portal.getByLabel("Code provisoire").fill(codes.a);
    await portal.getByRole("button", { name: "Activer mon espace" }).click();
    await portal.getByText("Votre espace Mon espace santé est activé.").waitFor();
    await screenshot(portal, "lifecycle-portal-activated");

    // 2. Person B opposes.
    await portal.getByLabel("Numéro de sécurité sociale").fill(nirOf(b));
    await portal.getByLabel("Code provisoire").fill(codes.b);
    await portal.getByRole("button", { name: "M'opposer à sa création" }).click();
    await portal.getByText("Votre opposition à la création de Mon espace santé est enregistrée.").waitFor();
    await portal.close();

    const states = async () =>
      Object.fromEntries(
        (
          await sql<{
            id: number;
            state: string;
          }>`SELECT id, state FROM person WHERE id = ANY(${[a, b, ...late]}::bigint[])`.execute(db)
        ).rows.map((r) => [r.id, r.state]),
      );
    expect(await states()).toMatchObject({ [a]: "activated", [b]: "opposed", [late[0]]: "notified" });
    const portalEvents = await sql<{ person_id: number; type: string; source: string }>`
      SELECT person_id, type, source FROM person_event WHERE person_id IN (${a}, ${b}) ORDER BY person_id`.execute(
      db,
    );
    expect(portalEvents.rows).toEqual([
      { person_id: a, type: "activate", source: "portal" },
      { person_id: b, type: "oppose", source: "portal" },
    ]);

    // 3. The person page shows the activation event (persons context's page and timeline).
    const staff = await ui.browser.newContext();
    const page = await staff.newPage();
    await login(page, app.baseUrl, "superviseur@demo.mes-ops.fr");
    const personPage = await page.goto(`${app.baseUrl}/persons/${a}`);
    expect(personPage?.status()).toBe(200);
    await expect(page.locator("main").innerText()).resolves.toMatch(/Activation → activé/);
    await screenshot(page, "lifecycle-person-activated");

    // 4. The sweep for yesterday (the job the planner would have queued) creates the rest.
    await boss.send(QUEUES.deadlineSweep, { day: yesterday });
    for (let i = 0; i < 60; i++) {
      const s = await states();
      if (late.every((id) => s[id] === "auto_created")) break;
      await new Promise((r) => setTimeout(r, 500));
    }
    expect(await states()).toMatchObject({ [late[0]]: "auto_created", [late[1]]: "auto_created" });

    // 5. The funnel shows the three outcomes for this wave: to the ministry as aggregates under the small-cell
    // rule (« < 10 », rates withheld), to campaign staff (who may read persons) exactly.
    const ministry = await ui.browser.newContext();
    const mpage = await ministry.newPage();
    await login(mpage, app.baseUrl, "ministere@demo.mes-ops.fr");
    await mpage.goto(`${app.baseUrl}/funnel?wave=${waveId}`);
    const stat = (k: string) => mpage.locator(`[data-stat="${k}"] .stat-value`).innerText();
    for (const k of ["activated", "opposed", "auto_created", "reached"]) expect(await stat(k)).toBe("< 10");
    await expectAccessible(mpage);
    await screenshot(mpage, "lifecycle-funnel");
    const csv = await mpage.evaluate(async (w) => {
      const res = await fetch(`/funnel/export?wave=${w}`);
      return { type: res.headers.get("content-type"), text: await res.text() };
    }, waveId);
    expect(csv.type).toContain("text/csv");
    expect(csv.text).toContain("80;Vague e2e;< 10;");
    expect(csv.text).not.toContain("80;Vague e2e;4;");
    const campaign = await ui.browser.newContext();
    const spage = await campaign.newPage();
    await login(spage, app.baseUrl, "campagne@demo.mes-ops.fr");
    await spage.goto(`${app.baseUrl}/funnel?wave=${waveId}`);
    const exact = (k: string) => spage.locator(`[data-stat="${k}"] .stat-value`).innerText();
    expect(await exact("activated")).toBe("1");
    expect(await exact("opposed")).toBe("1");
    expect(await exact("auto_created")).toBe("2");
    expect(await exact("reached")).toBe("4");
    const exactCsv = await spage.evaluate(
      async (w) => (await fetch(`/funnel/export?wave=${w}`)).text(),
      waveId,
    );
    expect(exactCsv).toContain("80;Vague e2e;4;0;1;1;2;0;25,0;25,0;50,0");
    await campaign.close();
    // The ministry never reaches a page that shows a person.
    const denied = await mpage.goto(`${app.baseUrl}/deadlines`);
    expect(denied?.status()).toBe(403);
    await ministry.close();

    // 6. The deadline calendar and the paper oppositions page, as a campaign manager.
    const manager = await ui.browser.newContext();
    const cpage = await manager.newPage();
    await login(cpage, app.baseUrl, "campagne@demo.mes-ops.fr");
    await cpage.goto(`${app.baseUrl}/deadlines`);
    await expect(cpage.locator("h1").innerText()).resolves.toContain("Échéances");
    await expectAccessible(cpage);
    await screenshot(cpage, "lifecycle-deadlines");
    await cpage.getByLabel("Motif (obligatoire)").fill("");
    await cpage.getByRole("button", { name: "Prévisualiser le report" }).click();
    await expect(cpage.locator(".field-error").first().innerText()).resolves.toMatch(/Choisissez|Motif/);
    await cpage.goto(`${app.baseUrl}/oppositions/upload`);
    await cpage.setInputFiles("#file", {
      name: "courrier.csv",
      mimeType: "text/csv",
      buffer: Buffer.from(`NIR\r\n${nirOf(b)}\r\n123\r\n`),
    });
    await cpage.getByRole("button", { name: "Enregistrer les oppositions" }).click();
    await cpage.getByRole("heading", { name: "Résultat pour courrier.csv" }).waitFor();
    await expect(cpage.locator("main").innerText()).resolves.toContain("déjà opposé le");
    await expectAccessible(cpage);
    await screenshot(cpage, "lifecycle-paper-oppositions");
    await manager.close();
    await staff.close();
  });

  it("answers an unsigned portal API call with a JSON 401", async () => {
    const res = await fetch(`${app.baseUrl}/api/portal/events`, {
      method: "POST",
      body: "{}",
      headers: { "Content-Type": "application/json" },
    });
    expect(res.status).toBe(401);
    expect(await res.json()).toMatchObject({ error: "missing_signature" });
  });
});
