import { describe, expect, it } from "vitest";
import { createLogger } from "../../app/config/logger.server";
import { heartbeat } from "../../jobs/heartbeat";
import { setupTestApp } from "./support/app";
import { browserAvailable, expectAccessible, login, screenshot, setupBrowser } from "./support/browser";

const QUEUE = "e2e-failing";

describe.runIf(browserAvailable())("Jobs page (browser)", () => {
  const app = setupTestApp();
  const ui = setupBrowser();

  it("shows the worker badge, the queues and a scrubbed failure, and retries it", async () => {
    const { boss, db, config } = app.runtime;
    await heartbeat.handle([], { db, boss, config, logger: createLogger({ level: "silent" }) });
    await boss.createQueue(QUEUE, { name: QUEUE, retryLimit: 0 });
    const id = await boss.send(QUEUE, { batch: 7 });
    if (!id) throw new Error("no job id");
    await boss.fetch(QUEUE);
    await boss.fail(QUEUE, id, new Error("fournisseur e-mail en erreur 503 pour jeanne.martin@example.fr"));

    const page = await ui.browser.newPage();
    await login(page, app.baseUrl, "admin@demo.mes-ops.fr");
    await page.goto(`${app.baseUrl}/admin/jobs`);
    expect(await page.getByRole("heading", { name: "Tâches de fond", level: 1 }).count()).toBe(1);
    expect(await page.getByText("__pgboss__").count()).toBe(0);
    expect(await page.getByText("Worker actif").count()).toBe(1);
    expect(await page.getByRole("rowheader", { name: /heartbeat/ }).count()).toBeGreaterThan(0);
    const body = await page.content();
    expect(body).toContain("pour [email]");
    expect(body).not.toContain("jeanne.martin");
    await page
      .getByText(/fournisseur e-mail en erreur 503/)
      .first()
      .click(); // opens the <details>
    await screenshot(page, "admin-jobs");
    await expectAccessible(page);

    await page.getByRole("button", { name: `Relancer la tâche ${id} de la file ${QUEUE}` }).click();
    await page.getByText(`La tâche ${id} de la file « ${QUEUE} » est relancée.`).waitFor();
    expect((await boss.getJobById(QUEUE, id))?.state).toBe("retry");
    await screenshot(page, "admin-jobs-retried");
    // The revalidated list no longer offers this job.
    await page
      .getByRole("button", { name: `Relancer la tâche ${id} de la file ${QUEUE}` })
      .waitFor({ state: "detached", timeout: 10_000 });
    await page.close();
  });

  it("answers 403 to a helpline agent", async () => {
    const page = await ui.browser.newPage();
    await login(page, app.baseUrl, "conseiller@demo.mes-ops.fr");
    const res = await page.goto(`${app.baseUrl}/admin/jobs`);
    expect(res?.status()).toBe(403);
    await page.close();
  });
});
