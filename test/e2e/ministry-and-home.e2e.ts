import type { BrowserContext, Page } from "playwright-core";
import { describe, expect, it } from "vitest";
import { addMonths, DEPARTMENTS } from "../../app/domain/kpi/catalogue";
import { currentParisMonth } from "../../app/domain/kpi/dashboard.server";
import { formatMonthFr } from "../../app/domain/kpi/format";
import { QUEUES } from "../../app/infra/queues";
import { setupTestApp } from "./support/app";
import { browserAvailable, expectAccessible, login, screenshot, setupBrowser } from "./support/browser";

const MINISTRY = "ministere@demo.mes-ops.fr";
const CAMPAIGN = "campagne@demo.mes-ops.fr";

/** Every integer below the small-cell threshold found in a loader's JSON, with its path (ids and pages aside). */
function smallIntegers(value: unknown, path = "$"): string[] {
  const skip = new Set(["page", "pages", "rowCount", "waveId", "id"]);
  if (typeof value === "number") return Number.isInteger(value) && value < 10 ? [`${path}=${value}`] : [];
  if (Array.isArray(value)) return value.flatMap((v, i) => smallIntegers(v, `${path}[${i}]`));
  if (value && typeof value === "object")
    return Object.entries(value).flatMap(([k, v]) => (skip.has(k) ? [] : smallIntegers(v, `${path}.${k}`)));
  return [];
}

async function loaderJson<T>(page: Page, baseUrl: string, path: string, route: string): Promise<T> {
  const sep = path.includes("?") ? "&" : "?";
  const res = await page.request.get(`${baseUrl}${path}${sep}_data=${encodeURIComponent(route)}`);
  expect(res.status()).toBe(200);
  return (await res.json()) as T;
}

async function signedIn(ui: { browser: import("playwright-core").Browser }, baseUrl: string, email: string) {
  const context: BrowserContext = await ui.browser.newContext({ viewport: { width: 1400, height: 1000 } });
  const page = await context.newPage();
  await login(page, baseUrl, email);
  return { context, page };
}

/** The CSV cells of the funnel export that hold counts (the table's count columns, the series' columns). */
function csvCountCells(csv: string): string[] {
  const lines = csv.replace(/^\uFEFF/, "").split("\r\n");
  const cells: string[] = [];
  let section: "table" | "series" | null = null;
  for (const line of lines) {
    const fields = line.split(";");
    if (fields[0] === "Département") section = "table";
    else if (fields[0] === "Jour") section = "series";
    else if (line === "") section = null;
    else if (section === "table") cells.push(...fields.slice(2, 8));
    else if (section === "series") cells.push(...fields.slice(1));
  }
  return cells;
}

interface KpiTable {
  id: string;
  columns: Array<{ key: string }>;
  rows: Array<{ key: string; values: Array<number | null> }>;
}

describe.runIf(browserAvailable())("ministry viewer, KPI figures and home pages (browser)", () => {
  const app = setupTestApp();
  const ui = setupBrowser();

  it("suppresses small counts on /funnel for the ministry (page, loader JSON, CSV), not for campaign staff", async () => {
    const { context, page } = await signedIn(ui, app.baseUrl, MINISTRY);
    await page.goto(`${app.baseUrl}/funnel`);
    await page.getByRole("heading", { level: 1, name: "Entonnoir de la campagne" }).waitFor();
    // The chart data and the tables the browser receives: no count below 10 at all.
    const data = await loaderJson<unknown>(page, app.baseUrl, "/funnel", "routes/funnel");
    expect(smallIntegers(data)).toEqual([]);
    expect(JSON.stringify(data)).toContain("< 10");
    // The page: the daily table shows « < 10 », never a digit alone.
    await page.getByRole("button", { name: "Afficher le tableau" }).click();
    const days = page.getByRole("table", { name: "Mouvements par jour" });
    await days.waitFor();
    const dayCells = await days.locator("td").allInnerTexts();
    expect(dayCells.filter((t) => /^\d$/.test(t.trim()))).toEqual([]);
    expect(dayCells).toContain("< 10");
    const tableCells = await page
      .getByRole("region", { name: "Entonnoir par département et par vague" })
      .locator("td.num")
      .allInnerTexts();
    expect(tableCells.filter((t) => /^\d$/.test(t.trim()))).toEqual([]);
    const statValues = await page.locator(".stat .stat-value").allInnerTexts();
    expect(statValues.filter((t) => /^\d$/.test(t.trim()))).toEqual([]);
    await expect(
      page
        .getByText(/Secret statistique/)
        .first()
        .isVisible(),
    ).resolves.toBe(true);
    await screenshot(page, "funnel-ministry");
    await expectAccessible(page);
    // The CSV export: the same rule, suppressed cells are the text « < 10 ».
    const csv = await (await page.request.get(`${app.baseUrl}/funnel/export`)).text();
    const cells = csvCountCells(csv);
    expect(cells.length).toBeGreaterThan(20);
    expect(cells.filter((c) => /^\d$/.test(c))).toEqual([]);
    expect(cells).toContain("< 10");
    await context.close();

    // Campaign staff operate the campaign (they may open a person's file): exact counts.
    const staff = await signedIn(ui, app.baseUrl, CAMPAIGN);
    const exact = await loaderJson<unknown>(staff.page, app.baseUrl, "/funnel", "routes/funnel");
    expect(smallIntegers(exact).length).toBeGreaterThan(0);
    expect(JSON.stringify(exact)).not.toContain("< 10");
    const exactCsv = csvCountCells(
      await (await staff.page.request.get(`${app.baseUrl}/funnel/export`)).text(),
    );
    expect(exactCsv.filter((c) => /^\d$/.test(c)).length).toBeGreaterThan(0);
    expect(exactCsv).not.toContain("< 10");
    await staff.context.close();
  });

  it("shows KPI campaign figures that hold together, and says where each page's figures come from", async () => {
    const { context, page } = await signedIn(ui, app.baseUrl, MINISTRY);
    const today = currentParisMonth();
    type KpiData = { tables: KpiTable[] };
    const kpi = await loaderJson<KpiData>(page, app.baseUrl, "/kpi", "routes/kpi._index");
    const funnel = kpi.tables.find((t) => t.id === "funnel");
    if (!funnel) throw new Error("no funnel table");
    const col = (key: string) => funnel.columns.findIndex((c) => c.key === key);
    const at = (period: string, key: string) =>
      funnel.rows.find((r) => r.key === period)?.values[col(key)] ?? null;
    // No automatic creation before the first six-week windows end (notices from 31 January 2022).
    for (const period of ["2022-01", "2022-02"]) expect(at(period, "autoCreated") ?? 0).toBeLessThan(10);
    expect(at("2022-03", "autoCreated")).toBeGreaterThan(1_000_000);
    // Every person leaves the window once (activated in it, opposed or created automatically) and is
    // activated at most once: cumulated, neither outruns the persons notified.
    let notified = 0;
    let activated = 0;
    let leftWindow = 0;
    const broken: string[] = [];
    for (const row of funnel.rows) {
      const v = (key: string) => row.values[col(key)] ?? 0;
      notified += v("notified");
      activated += v("activated");
      leftWindow += v("opposed") + v("autoCreated");
      if (activated > notified || leftWindow > notified) broken.push(row.key);
    }
    expect(broken).toEqual([]);

    // The nightly campaign job runs (last two months), then France entière is the sum of the departments.
    const jobId = await app.runtime.boss.send(QUEUES.kpiCampaign, { recentMonths: 2 });
    if (!jobId) throw new Error("kpi-campaign not queued");
    for (let i = 0; i < 120; i++) {
      const job = await app.runtime.boss.getJobById(QUEUES.kpiCampaign, jobId);
      if (job?.state === "completed") break;
      if (job?.state === "failed") throw new Error("kpi-campaign failed");
      await new Promise((r) => setTimeout(r, 250));
    }
    const months = [addMonths(today, -1), today];
    const query = `from=${months[0]}&to=${today}`;
    const national = await loaderJson<KpiData>(page, app.baseUrl, `/kpi?${query}`, "routes/kpi._index");
    const sums = new Map<string, number>();
    for (let i = 0; i < DEPARTMENTS.length; i += 10) {
      const batch = await Promise.all(
        DEPARTMENTS.slice(i, i + 10).map((d) =>
          loaderJson<KpiData>(page, app.baseUrl, `/kpi?${query}&department=${d}`, "routes/kpi._index"),
        ),
      );
      for (const dep of batch) {
        const t = dep.tables.find((x) => x.id === "funnel");
        for (const r of t?.rows ?? []) sums.set(r.key, (sums.get(r.key) ?? 0) + (r.values[0] ?? 0));
      }
    }
    const nationalTable = national.tables.find((t) => t.id === "funnel");
    for (const period of months) {
      const n = nationalTable?.rows.find((r) => r.key === period)?.values[0] ?? 0;
      // Departments below 10 are suppressed (sent as null): the sum may fall short by < 10 each.
      expect(Math.abs(n - (sums.get(period) ?? 0))).toBeLessThan(10 * DEPARTMENTS.length);
      expect(n).toBeGreaterThanOrEqual(sums.get(period) ?? 0);
    }

    // The month in progress is not complete: the current year is projected, and the page says so.
    await page.goto(`${app.baseUrl}/kpi`);
    await page.getByRole("heading", { level: 1, name: "Indicateurs de la feuille de route" }).waitFor();
    await page
      .getByText(`${formatMonthFr(today)} est en cours`)
      .first()
      .waitFor();
    const years = kpi.tables.find((t) => t.id === "documents-years");
    const thisYear = years?.rows.find((r) => r.key === today.slice(0, 4));
    expect(thisYear?.values[1]).not.toBeNull();
    // Where the figures come from: national reference series here, the persons of this database there.
    await page
      .getByText(/Campagne de déploiement : séries nationales de démonstration/)
      .first()
      .waitFor();
    await page.locator('[data-chart="documents-years"] .recharts-surface').first().waitFor();
    await screenshot(page, "kpi-ministry");
    await page.goto(`${app.baseUrl}/funnel`);
    await page
      .getByText(/compte les assurés enregistrés dans cette base/)
      .first()
      .waitFor();
    await page
      .getByText(/ne sont pas les chiffres nationaux/)
      .first()
      .waitFor();
    await context.close();
  });

  it("home page: the work waiting for each role, with counts and links, or an empty state", async () => {
    const { db, boss } = app.runtime;
    // Ministry: nothing to do, the KPI summary links.
    const ministry = await signedIn(ui, app.baseUrl, MINISTRY);
    await ministry.page.goto(`${app.baseUrl}/`);
    await ministry.page.getByText("Rien ne vous attend pour l'instant.").waitFor();
    const main = ministry.page.getByRole("main");
    expect(
      await main.getByRole("link", { name: "Indicateurs de la feuille de route" }).getAttribute("href"),
    ).toBe("/kpi");
    expect(await main.getByRole("link", { name: "Rapports mensuels" }).getAttribute("href")).toBe(
      "/kpi/reports",
    );
    expect(await main.getByRole("link", { name: "Entonnoir de la campagne" }).getAttribute("href")).toBe(
      "/funnel",
    );
    await screenshot(ministry.page, "home-ministere");
    await expectAccessible(ministry.page);
    await ministry.context.close();

    // Campaign manager: nothing waits, then a roll held for a decision and a paused wave.
    const staff = await signedIn(ui, app.baseUrl, CAMPAIGN);
    await staff.page.goto(`${app.baseUrl}/`);
    await staff.page.getByText("Rien ne vous attend pour l'instant.").waitFor();
    const roll = await db
      .insertInto("roll")
      .values({
        file_name: "démo — fichier à décider.csv",
        file_path: "/dev/null",
        state: "held_for_review",
        rows_total: 100,
        rows_rejected: 40,
      })
      .returning("id")
      .executeTakeFirstOrThrow();
    const wave = await db
      .updateTable("wave")
      .set({ status: "paused" })
      .where("status", "=", "draft")
      .returning("id")
      .executeTakeFirstOrThrow();
    await staff.page.goto(`${app.baseUrl}/`);
    const held = staff.page.getByRole("link", { name: /1 fichier d'assurés en attente de décision/ });
    expect(await held.getAttribute("href")).toBe(`/rolls/${roll.id}`);
    expect(
      await staff.page.getByRole("link", { name: /1 vague d'envoi en pause/ }).getAttribute("href"),
    ).toBe(`/waves/${wave.id}`);
    expect(await staff.page.getByText("Rien ne vous attend pour l'instant.").count()).toBe(0);
    await screenshot(staff.page, "home-campagne");
    await expectAccessible(staff.page);
    await staff.context.close();

    // Helpline agent: cases waiting; supervisor: also the cases past their SLA.
    const karim = await db
      .selectFrom("app_user")
      .select("id")
      .where("email", "=", "conseiller@demo.mes-ops.fr")
      .executeTakeFirstOrThrow();
    const last = await db
      .selectFrom("helpline_case")
      .select("id")
      .orderBy("id", "desc")
      .executeTakeFirstOrThrow();
    await db
      .updateTable("helpline_case")
      .set({ assigned_user_id: karim.id, assigned_at: new Date(), state: "assigned" })
      .where("id", "=", last.id)
      .execute();
    const agent = await signedIn(ui, app.baseUrl, "conseiller@demo.mes-ops.fr");
    await agent.page.goto(`${app.baseUrl}/`);
    await agent.page.getByRole("heading", { name: "Dossiers 34 22" }).waitFor();
    // The routing job may already have given the demo cases to an agent: waiting, or assigned to them.
    const caseLinks = agent.page.getByRole("link", {
      name: /dossiers? (en attente d'affectation|ouverts? qui vous (est|sont) affectés?)/,
    });
    expect(await caseLinks.count()).toBeGreaterThan(0);
    expect(await caseLinks.first().getAttribute("href")).toBe("/helpline");
    await screenshot(agent.page, "home-conseiller");
    await agent.context.close();
    const first = await db.selectFrom("helpline_case").select("id").orderBy("id").executeTakeFirstOrThrow();
    await db
      .updateTable("helpline_case")
      .set({ sla_status: "breached", sla_due_at: new Date(Date.now() - 3_600_000) })
      .where("id", "=", first.id)
      .execute();
    const supervisor = await signedIn(ui, app.baseUrl, "superviseur@demo.mes-ops.fr");
    await supervisor.page.goto(`${app.baseUrl}/`);
    const late = supervisor.page.getByRole("link", { name: /1 dossier hors délai/ });
    expect(await late.getAttribute("href")).toBe("/helpline/board");
    await screenshot(supervisor.page, "home-superviseur");
    await expectAccessible(supervisor.page);
    await supervisor.context.close();

    // Admin: a failed background job.
    const queue = "e2e-home-failing";
    await boss.createQueue(queue, { name: queue, retryLimit: 0 });
    const jobId = await boss.send(queue, {});
    if (!jobId) throw new Error("no job id");
    await boss.fetch(queue);
    await boss.fail(queue, jobId, new Error("échec de test"));
    const admin = await signedIn(ui, app.baseUrl, "admin@demo.mes-ops.fr");
    await admin.page.goto(`${app.baseUrl}/`);
    expect(
      await admin.page.getByRole("link", { name: /1 tâche de fond en échec/ }).getAttribute("href"),
    ).toBe("/admin/jobs");
    await screenshot(admin.page, "home-admin");
    await expectAccessible(admin.page);
    await admin.context.close();
  });
});
