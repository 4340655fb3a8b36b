import { describe, expect, it } from "vitest";
import { DEMO_USERS } from "../../cli/seed";
import { setupTestApp } from "./support/app";
import { browserAvailable, expectAccessible, login, screenshot, setupBrowser } from "./support/browser";

describe.runIf(browserAvailable())("foundation (browser)", () => {
  const app = setupTestApp();
  const ui = setupBrowser();

  it("logs in as each role, shows the header, and logs out", async () => {
    for (const user of DEMO_USERS) {
      const context = await ui.browser.newContext();
      const page = await context.newPage();
      await login(page, app.baseUrl, user.email);
      // The URL changes before the home page has rendered: wait for its heading rather than read it at once.
      await page.locator("h1", { hasText: "Bonjour" }).waitFor({ timeout: 10_000 });
      // Client navigation changes the URL before the new page renders: poll the heading.
      await expect
        .poll(() => page.locator("h1").innerText(), { timeout: 10_000 })
        .toContain(user.name.split(" ")[0]);
      await screenshot(page, `home-${user.role}`);
      await expectAccessible(page);
      await page.getByRole("button", { name: "Se déconnecter" }).click();
      await page.waitForURL(/\/login/);
      await context.close();
    }
  });

  it("refuses a wrong password without saying whether the account exists", async () => {
    const page = await ui.browser.newPage();
    await page.goto(`${app.baseUrl}/login`);
    await expectAccessible(page);
    await page.getByLabel("Adresse e-mail").fill("admin@demo.mes-ops.fr");
    await page.getByLabel("Mot de passe").fill("wrong-password-here");
    await page.getByRole("button", { name: "Se connecter" }).click();
    await expect(page.getByRole("alert").innerText()).resolves.toContain("incorrect");
    await screenshot(page, "login-error");
    await page.close();
  });

  it("refuses a form post without the CSRF token", async () => {
    const context = await ui.browser.newContext();
    const page = await context.newPage();
    await login(page, app.baseUrl, "campagne@demo.mes-ops.fr");
    const status = await page.evaluate(async () => {
      const res = await fetch("/logout", {
        method: "POST",
        body: new URLSearchParams({ everywhere: "1" }),
        redirect: "manual",
      });
      return res.status;
    });
    expect(status).toBe(403);
    await page.reload();
    // Client navigation changes the URL before the new page renders: poll the heading.
    await expect.poll(() => page.locator("h1").innerText(), { timeout: 10_000 }).toContain("Bonjour");
    await context.close();
  });
});
