import { sql } from "kysely";
import { describe, expect, it } from "vitest";
import { issueCode } from "../../app/domain/codes/codes.server";
import { listSmsOutbox } from "../../app/domain/helpline/sms-outbox.server";
import { buildNir } from "../../app/domain/persons/nir";
import { insertPersons } from "../factories";
import { setupTestApp } from "./support/app";
import { browserAvailable, expectAccessible, screenshot, setupBrowser } from "./support/browser";

const DAY = 86_400_000;
const CODE = /[A-Z0-9]{4}(?:-[A-Z0-9]{4,5}){2}/;

describe.runIf(browserAvailable())("new code from the demo portal (browser)", () => {
  const app = setupTestApp();
  const ui = setupBrowser();

  it("asks for a new code by SMS, answers an unknown NIR alike, names a bad field", async () => {
    const { db, config } = app.runtime;
    const notifiedAt = new Date(Date.now() - 3 * DAY);
    const [id] = await insertPersons(db, {
      count: 1,
      offset: 980_000,
      seed: 11,
      state: "notified",
      notifiedAt,
      windowEndsAt: new Date(Date.now() + 39 * DAY),
    });
    await sql`UPDATE person SET phone = '06 55 44 33 22', state_changed_at = notified_at WHERE id = ${id}`.execute(
      db,
    );
    const row = await sql<{ nir: string; birth: string }>`
      SELECT nir, to_char(birth_date, 'YYYY-MM-DD') AS birth FROM person WHERE id = ${id}`.execute(db);
    const { nir, birth } = { nir: row.rows[0].nir.trim(), birth: row.rows[0].birth };
    const old = await db
      .transaction()
      .execute((trx) =>
        issueCode(trx, { config }, { personId: id, expiresAt: new Date(Date.now() + 40 * DAY) }),
      );
    const smsBefore = listSmsOutbox(config.outboxDir, 1000).total;

    const page = await ui.browser.newPage();
    await page.goto(`${app.baseUrl}/portal`);
    const form = page.getByRole("form", { name: "Recevoir un nouveau code" });
    await form.getByLabel("N° de sécurité sociale").fill(nir);
    await form.getByLabel("Date de naissance").fill(birth);
    await form.getByLabel("SMS (mobile connu)").check();
    await form.getByRole("button", { name: "Recevoir un nouveau code" }).click();
    const neutral = await page.getByRole("status").innerText();
    expect(neutral).toContain("Demande enregistrée");
    await expectAccessible(page);
    await screenshot(page, "portal-code-reset-accepted");

    // The worker sends it to the dev sink; the old code is replaced.
    let code = "";
    for (let i = 0; i < 60 && !code; i++) {
      const { total, messages } = listSmsOutbox(config.outboxDir, 10);
      if (total > smsBefore) code = CODE.exec(messages[0].text)?.[0] ?? "";
      else await new Promise((r) => setTimeout(r, 500));
    }
    expect(code).not.toBe("");
    expect(code).not.toBe(old.clearCode);
    await page.getByLabel("Numéro de sécurité sociale", { exact: true }).fill(nir);
    await page.getByLabel("Code provisoire").fill(old.clearCode);
    await page.getByRole("button", { name: "Activer mon espace" }).click();
    await expect(page.getByRole("alert").innerText()).resolves.toContain("remplacé par un code plus récent");

    // An unknown NIR gets the very same answer.
    const unknown = buildNir({ sex: 1, year: 1960, month: 3, department: "99", commune: 998, order: 997 });
    await form.getByLabel("N° de sécurité sociale").fill(unknown);
    await form.getByLabel("Date de naissance").fill("1960-03-15");
    await form.getByRole("button", { name: "Recevoir un nouveau code" }).click();
    await page.getByRole("status").waitFor();
    expect(await page.getByRole("status").innerText()).toBe(neutral);

    // A NIR with a wrong key: the API's French reason, under the field.
    await form
      .getByLabel("N° de sécurité sociale")
      .fill(`${nir.slice(0, 13)}${nir.endsWith("00") ? "01" : "00"}`);
    await form.getByRole("button", { name: "Recevoir un nouveau code" }).click();
    await expect(form.locator(".field-error").innerText()).resolves.toContain("clé NIR invalide");
    await page.close();
  });
});
