import { copyFile, mkdir, readFile } from "node:fs/promises";
import path from "node:path";
import { describe, expect, it } from "vitest";
import type { PersonDataDocument } from "../../reports/person-data-pdf";
import { pdfPages } from "../integration/waves-support";
import { setupTestApp } from "./support/app";
import {
  browserAvailable,
  expectAccessible,
  login,
  SCREENSHOT_DIR,
  screenshot,
  setupBrowser,
} from "./support/browser";

describe.runIf(browserAvailable())("a person's data on request (RGPD art. 15, browser)", () => {
  const app = setupTestApp();
  const ui = setupBrowser();

  /** A demo person notified by a wave (a code, events), so that several sections have rows. */
  async function demoPersonId(): Promise<number> {
    const coded = await app.runtime.db
      .selectFrom("provisional_code")
      .select("person_id")
      .orderBy("id")
      .executeTakeFirst();
    const any = await app.runtime.db
      .selectFrom("person")
      .select("id")
      .orderBy("id")
      .executeTakeFirstOrThrow();
    return Number(coded?.person_id ?? any.id);
  }

  it("a supervisor downloads the PDF and the JSON from the person page; the first export is in the second", async () => {
    const personId = await demoPersonId();
    // A helpline case with a note about the person (the demo seed links none), as an agent would leave it.
    const db = app.runtime.db;
    const queue = await db.selectFrom("helpline_queue").select("id").orderBy("id").executeTakeFirstOrThrow();
    const agent = await db
      .selectFrom("app_user")
      .select("id")
      .where("email", "=", "conseiller@demo.mes-ops.fr")
      .executeTakeFirstOrThrow();
    const helplineCase = await db
      .insertInto("helpline_case")
      .values({
        type: "data_request",
        origin: "agent",
        queue_id: queue.id,
        priority: 1,
        person_id: personId,
        created_by: agent.id,
        subject: "Demande d'accès à ses données",
      })
      .returning("id")
      .executeTakeFirstOrThrow();
    await db
      .insertInto("helpline_case_history")
      .values({
        case_id: helplineCase.id,
        kind: "note",
        actor_user_id: agent.id,
        details: JSON.stringify({ text: "Rappeler l'assurée après 14 h." }),
      })
      .execute();
    const context = await ui.browser.newContext({
      acceptDownloads: true,
      viewport: { width: 1300, height: 900 },
    });
    const page = await context.newPage();
    await login(page, app.baseUrl, "superviseur@demo.mes-ops.fr");
    await page.goto(`${app.baseUrl}/persons/${personId}`);
    const card = page.getByRole("region", { name: "Exporter les données (RGPD)" });
    await card.waitFor();
    await screenshot(page, "person-export-card");
    await expectAccessible(page);

    const [pdfDownload] = await Promise.all([
      page.waitForEvent("download"),
      card.getByRole("link", { name: "Exporter les données (RGPD) — PDF" }).click(),
    ]);
    expect(pdfDownload.suggestedFilename()).toMatch(
      new RegExp(`^donnees-assure-${personId}-\\d{4}-\\d{2}-\\d{2}\\.pdf$`),
    );
    const pdf = await readFile((await pdfDownload.path()) as string);
    expect(pdf.subarray(0, 5).toString()).toBe("%PDF-");
    const pages = await pdfPages(pdf);
    expect(pages.length).toBeGreaterThanOrEqual(1);
    expect(pages[0]).toContain("Données personnelles détenues par mes-ops");
    expect(pages.join("\n")).toContain("Dossiers du 34 22");
    expect(pages.join("\n")).toContain("Rappeler");
    for (const [i, text] of pages.entries()) {
      expect(text).toContain("Document établi au titre de l'article 15 du RGPD");
      expect(text).toContain(`page ${i + 1} / ${pages.length}`);
    }

    // Chromium opens PDFs: the first page as a reader sees it, for the eye (screenshots are not compared).
    await mkdir(SCREENSHOT_DIR, { recursive: true });
    const copy = path.join(SCREENSHOT_DIR, "person-export.pdf");
    await copyFile((await pdfDownload.path()) as string, copy);
    const viewer = await context.newPage();
    await viewer.setViewportSize({ width: 1300, height: 1000 });
    await viewer.goto(`file://${copy}`).catch(() => undefined);
    await viewer.waitForTimeout(1500);
    await viewer.screenshot({ path: path.join(SCREENSHOT_DIR, "person-export-pdf.png") });
    await viewer.close();

    const [jsonDownload] = await Promise.all([
      page.waitForEvent("download"),
      card.getByRole("link", { name: "Exporter les données (RGPD) — JSON" }).click(),
    ]);
    expect(jsonDownload.suggestedFilename()).toMatch(/\.json$/);
    const doc = JSON.parse(
      await readFile((await jsonDownload.path()) as string, "utf8"),
    ) as PersonDataDocument;
    expect(doc.person.id).toBe(personId);
    expect(doc.generatedBy).toBe("superviseur@demo.mes-ops.fr");
    expect(doc.sections.find((s) => s.key === "identity")?.rows[0][0]).toBe("NIR");
    const audit = doc.sections.find((s) => s.key === "audit");
    const exports = (audit?.rows ?? []).filter((r) => r[2].startsWith("Données d'un assuré exportées"));
    expect(exports.map((r) => r[4])).toEqual(["format : pdf", "format : json"]);
    // The page view before the downloads is there too (« audit of who looked »).
    expect(audit?.rows.some((r) => r[2] === "Fiche d'un assuré consultée")).toBe(true);
    await context.close();
  });

  it("an agent sees no export button and is refused the export; the ministry viewer is refused too", async () => {
    const personId = await demoPersonId();
    for (const email of ["conseiller@demo.mes-ops.fr", "ministere@demo.mes-ops.fr"]) {
      const context = await ui.browser.newContext();
      const page = await context.newPage();
      await login(page, app.baseUrl, email);
      if (email.startsWith("conseiller")) {
        await page.goto(`${app.baseUrl}/persons/${personId}`);
        await page.getByRole("heading", { level: 2, name: "Identité" }).waitFor();
        expect(await page.getByText("Exporter les données (RGPD)").count()).toBe(0);
      }
      for (const format of ["pdf", "json"]) {
        const res = await page.request.get(`${app.baseUrl}/persons/${personId}/export.${format}`);
        expect(res.status(), `${email} ${format}`).toBe(403);
      }
      await context.close();
    }
    const exports = await app.runtime.db
      .selectFrom("audit_log")
      .select("details")
      .where("action", "=", "person.data_exported")
      .where("actor_label", "in", ["conseiller@demo.mes-ops.fr", "ministere@demo.mes-ops.fr"])
      .execute();
    expect(exports).toEqual([]);
  });
});
