import type { Browser, Page } from "playwright-core";
import { describe, expect, it } from "vitest";
import { totpCode } from "../../app/domain/auth/totp";
import { DEMO_PASSWORD, DEMO_USERS } from "../../cli/seed";
import { setupTestApp } from "./support/app";
import { browserAvailable, expectAccessible, login, screenshot, setupBrowser } from "./support/browser";

const ADMIN = "admin@demo.mes-ops.fr";

async function newPage(browser: Browser): Promise<Page> {
  const context = await browser.newContext();
  return context.newPage();
}

async function navSections(page: Page): Promise<string[]> {
  // textContent, not innerText: the titles are upper-cased by CSS.
  return page.locator('nav[aria-label="Navigation principale"] .nav-title').allTextContents();
}

async function navLinks(page: Page): Promise<string[]> {
  return page
    .locator('nav[aria-label="Navigation principale"] a')
    .evaluateAll((links) => links.map((a) => a.getAttribute("href") ?? ""));
}

async function logout(page: Page): Promise<void> {
  await page.getByRole("button", { name: "Se déconnecter", exact: true }).click();
  await page.waitForURL(/\/login/);
}

/** Password step only: the login helper waits to leave /login, which a 2FA account does not do at once. */
async function passwordStep(page: Page, baseUrl: string, email: string, password = DEMO_PASSWORD) {
  await page.goto(`${baseUrl}/login`);
  await page.getByLabel("Adresse e-mail").fill(email);
  await page.getByLabel("Mot de passe").fill(password);
  await page.getByRole("button", { name: "Se connecter" }).click();
}

describe.runIf(browserAvailable())("staff accounts and administration (browser)", () => {
  const app = setupTestApp();
  const ui = setupBrowser();

  it("shows each role only its sections; non-admins get a clear 403 on the admin pages", async () => {
    for (const user of DEMO_USERS) {
      const page = await newPage(ui.browser);
      await login(page, app.baseUrl, user.email);
      await page.locator("h1", { hasText: "Bonjour" }).waitFor();
      await screenshot(page, `admin-nav-${user.role}`);
      const sections = await navSections(page);
      const links = await navLinks(page);
      if (user.role === "admin") {
        expect(sections).toContain("Administration");
        expect(links).toEqual(expect.arrayContaining(["/admin/users", "/admin/audit"]));
      } else {
        // The campaign manager's demo outbox sits under Administration; nobody else's role opens any of it.
        if (user.role !== "campaign_manager") expect(sections).not.toContain("Administration");
        for (const adminOnly of ["/admin/users", "/admin/audit", "/admin/jobs"]) {
          expect(links).not.toContain(adminOnly);
        }
        for (const path of ["/admin/users", "/admin/audit", "/admin/users/1", "/admin/users/new"]) {
          const response = await page.goto(`${app.baseUrl}${path}`);
          expect(response?.status(), `${user.role} ${path}`).toBe(403);
          expect(await page.locator("h1").innerText()).toBe("Accès refusé (403)");
        }
        if (user.role === "ministry_viewer") {
          await screenshot(page, "admin-403-ministry_viewer");
          await expectAccessible(page);
        }
      }
      await page.context().close();
    }
  });

  it("admin creates a user who logs in, must change the password, and is then disabled; the audit log shows it", async () => {
    const admin = await newPage(ui.browser);
    await login(admin, app.baseUrl, ADMIN);
    await admin.goto(`${app.baseUrl}/admin/users`);
    // Other seeders may add demo accounts: every demo login is listed, with its role badge.
    const listed = await admin.locator("tbody tr td:nth-child(2)").allInnerTexts();
    expect(listed).toEqual(expect.arrayContaining(DEMO_USERS.map((u) => u.email)));
    await screenshot(admin, "admin-users-list");
    await expectAccessible(admin);

    await admin.getByLabel("Rechercher par nom ou adresse e-mail").fill("ministere");
    await admin.getByRole("button", { name: "Rechercher" }).click();
    await admin.waitForURL(/q=ministere/);
    // The URL changes before React renders the filtered list: wait for the table, not the address bar.
    await admin.locator("tbody tr").nth(1).waitFor({ state: "detached" });
    expect(await admin.locator("tbody tr td:nth-child(2)").allInnerTexts()).toEqual([
      "ministere@demo.mes-ops.fr",
    ]);

    await admin.getByRole("link", { name: "Créer un utilisateur" }).click();
    await admin.waitForURL(/\/admin\/users\/new/);
    // Validation first: nothing filled.
    await admin.getByRole("button", { name: "Créer le compte" }).click();
    await expect(admin.getByText("Choisissez au moins un rôle.").innerText()).resolves.toBeTruthy();
    await expect(admin.getByText("Saisissez l'adresse e-mail.").innerText()).resolves.toBeTruthy();
    await screenshot(admin, "admin-user-new-errors");
    await expectAccessible(admin);

    await admin.getByLabel("Adresse e-mail").fill("nouvelle.conseillere@example.fr");
    await admin.getByLabel("Nom affiché").fill("Nina Nouvelle");
    await admin.getByLabel("Conseiller 34 22").check();
    await admin.getByRole("button", { name: "Créer le compte" }).click();
    await admin.getByRole("heading", { name: "Utilisateur créé" }).waitFor();
    const temporaryPassword = (await admin.locator(".shown-once-list li").innerText()).trim();
    expect(temporaryPassword).toMatch(/^[2-9A-Z]{4}(-[2-9A-Z]{4}){3}$/);
    await screenshot(admin, "admin-user-created");
    await expectAccessible(admin);
    await admin.getByRole("link", { name: "Voir le compte" }).click();
    await admin.waitForURL(/\/admin\/users\/\d+$/);
    const userId = admin.url().split("/").at(-1) ?? "";

    // The new user logs in and is sent to change the password before anything else.
    const nina = await newPage(ui.browser);
    await login(nina, app.baseUrl, "nouvelle.conseillere@example.fr", temporaryPassword);
    await nina.waitForURL(/\/account\/security/);
    await expect(
      nina.getByText("Votre mot de passe a été fixé par un administrateur").innerText(),
    ).resolves.toBeTruthy();
    await nina.goto(`${app.baseUrl}/`);
    expect(new URL(nina.url()).pathname).toBe("/account/security");
    await nina.getByLabel("Mot de passe actuel").fill(temporaryPassword);
    await nina.getByLabel("Nouveau mot de passe", { exact: true }).fill("password1234");
    await nina.getByLabel("Confirmation du nouveau mot de passe").fill("password1234");
    await nina.getByRole("button", { name: "Changer le mot de passe" }).click();
    await expect(nina.getByText("parmi les plus courants").innerText()).resolves.toBeTruthy();
    await screenshot(nina, "account-password-refused");
    await nina.getByLabel("Mot de passe actuel").fill(temporaryPassword);
    await nina.getByLabel("Nouveau mot de passe", { exact: true }).fill("Nina-lanterne-mauve-2026");
    await nina.getByLabel("Confirmation du nouveau mot de passe").fill("Nina-lanterne-mauve-2026");
    await nina.getByRole("button", { name: "Changer le mot de passe" }).click();
    await expect(nina.locator("output.alert-success").innerText()).resolves.toContain("Mot de passe modifié");
    await nina.goto(`${app.baseUrl}/`);
    // Client navigation changes the URL before the new page renders: poll the heading.
    await expect
      .poll(() => nina.locator("h1").innerText(), { timeout: 10_000 })
      .toContain("Bonjour Nina Nouvelle");

    // The admin disables the account, through a confirmation step; the open session ends at once.
    await admin.reload();
    await admin.getByRole("link", { name: "Désactiver le compte…" }).click();
    await admin.getByRole("heading", { name: "Désactiver ce compte ?" }).waitFor();
    await screenshot(admin, "admin-user-disable-confirm");
    await expectAccessible(admin);
    await admin.getByRole("button", { name: "Confirmer la désactivation" }).click();
    await expect(admin.locator("output.alert-success").innerText()).resolves.toContain("Compte désactivé");
    await admin.locator(".page-header .badge", { hasText: "Désactivé" }).waitFor();
    await screenshot(admin, "admin-user-disabled");
    await nina.reload();
    expect(new URL(nina.url()).pathname).toBe("/login");
    await passwordStep(nina, app.baseUrl, "nouvelle.conseillere@example.fr", "Nina-lanterne-mauve-2026");
    await expect(nina.getByRole("alert").innerText()).resolves.toContain("incorrect");

    // The admin cannot disable themself: no button, and the server refuses anyway.
    await admin.goto(`${app.baseUrl}/admin/users`);
    await admin.getByRole("link", { name: "Alice Admin (démo)" }).click();
    await expect(
      admin.getByText("Vous ne pouvez pas désactiver votre propre compte.").innerText(),
    ).resolves.toBeTruthy();
    await admin.getByLabel("Chargé de campagne").check();
    await admin.getByLabel("Administrateur").uncheck();
    await admin.getByRole("button", { name: "Enregistrer les rôles" }).click();
    await expect(admin.getByRole("alert").innerText()).resolves.toContain("propre rôle d'administrateur");

    // The audit log shows these actions, filtered by the object.
    await admin.goto(`${app.baseUrl}/admin/audit?objectType=user&objectId=${userId}`);
    const actions = await admin.locator("tbody tr td:nth-child(3)").allInnerTexts();
    expect(actions).toEqual(
      expect.arrayContaining([
        "Utilisateur créé",
        "Connexion",
        "Mot de passe changé",
        "Utilisateur désactivé",
      ]),
    );
    await screenshot(admin, "admin-audit-filtered");
    await expectAccessible(admin);
    await admin.goto(`${app.baseUrl}/admin/audit?user=${encodeURIComponent(ADMIN)}&action=user.disabled`);
    expect(await admin.locator("tbody tr").count()).toBe(1);
    await admin.goto(`${app.baseUrl}/admin/audit?from=2026-13-01`);
    await expect(admin.getByText("Cette date n'existe pas.").innerText()).resolves.toBeTruthy();
    await admin.goto(`${app.baseUrl}/admin/audit`);
    await screenshot(admin, "admin-audit");
    await expectAccessible(admin);
    await logout(admin);
    await admin.context().close();
    await nina.context().close();
  });

  it("enrols TOTP end to end, then asks for it at login (TOTP or a single-use recovery code)", async () => {
    const email = "superviseur@demo.mes-ops.fr";
    const page = await newPage(ui.browser);
    await login(page, app.baseUrl, email);
    await page.goto(`${app.baseUrl}/account/security`);
    await screenshot(page, "account-security");
    await expectAccessible(page);
    await page.getByRole("button", { name: "Activer la double authentification" }).click();
    const secret = (await page.getByTestId("totp-secret").innerText()).trim();
    expect(secret).toMatch(/^[A-Z2-7]{32}$/);
    expect(await page.locator("img.qr-code").getAttribute("src")).toMatch(/^data:image\/png;base64,/);
    await screenshot(page, "account-2fa-enrol");
    await expectAccessible(page);
    await page.getByLabel("Code à 6 chiffres affiché par l'application").fill("000000");
    await page.getByRole("button", { name: "Confirmer l'activation" }).click();
    await expect(page.locator(".field-error").innerText()).resolves.toContain("Code incorrect");
    await page.getByLabel("Code à 6 chiffres affiché par l'application").fill(totpCode(secret));
    await page.getByRole("button", { name: "Confirmer l'activation" }).click();
    await page.getByRole("heading", { name: "Vos codes de secours" }).waitFor();
    const codes = await page.locator(".shown-once-list li").allInnerTexts();
    expect(codes).toHaveLength(10);
    await screenshot(page, "account-2fa-recovery-codes");
    await expectAccessible(page);
    await page.reload();
    expect(await page.locator(".shown-once-list").count()).toBe(0);
    await logout(page);

    // Password alone no longer opens the app: the 2FA page, and nothing else, until the code is given.
    await passwordStep(page, app.baseUrl, email);
    await page.waitForURL(/\/login\/2fa/);
    await page.goto(`${app.baseUrl}/account/security`);
    expect(new URL(page.url()).pathname).toBe("/login/2fa");
    await screenshot(page, "login-2fa");
    await expectAccessible(page);
    await page.getByLabel("Code de vérification").fill("123-456");
    await page.getByRole("button", { name: "Vérifier" }).click();
    await expect(page.getByRole("alert").innerText()).resolves.toContain("Il vous reste 4 essais");
    await page.getByLabel("Code de vérification").fill(codes[0].toLowerCase());
    await page.getByRole("button", { name: "Vérifier" }).click();
    await page.waitForURL((url) => url.pathname === "/");
    // Client navigation changes the URL before the new page renders: poll the heading.
    await expect.poll(() => page.locator("h1").innerText(), { timeout: 10_000 }).toContain("Bonjour");
    await logout(page);

    // The recovery code is spent; a fresh TOTP (next time step: never the enrolment's) works.
    await passwordStep(page, app.baseUrl, email);
    await page.waitForURL(/\/login\/2fa/);
    await page.getByLabel("Code de vérification").fill(codes[0]);
    await page.getByRole("button", { name: "Vérifier" }).click();
    await expect(page.getByRole("alert").innerText()).resolves.toContain("déjà utilisé");
    await page.getByLabel("Code de vérification").fill(totpCode(secret, new Date(Date.now() + 30_000)));
    await page.getByRole("button", { name: "Vérifier" }).click();
    await page.waitForURL((url) => url.pathname === "/");

    // "Se déconnecter partout" ends this session too.
    await page.goto(`${app.baseUrl}/account/security`);
    await expect(page.getByText("Codes de secours restants").innerText()).resolves.toContain("9");
    await page.getByRole("button", { name: "Se déconnecter partout" }).click();
    await page.waitForURL(/\/login/);
    await page.goto(`${app.baseUrl}/admin/users`);
    expect(new URL(page.url()).pathname).toBe("/login");
    await page.context().close();
  });

  it("locks after 5 wrong passwords with a message that does not reveal whether the account exists", async () => {
    const messages: string[] = [];
    for (const email of ["conseiller@demo.mes-ops.fr", "personne.inconnue@example.fr"]) {
      const page = await newPage(ui.browser);
      let last = "";
      for (let i = 0; i < 5; i++) {
        await passwordStep(page, app.baseUrl, email, `mauvais-mot-de-passe-${i}`);
        last = await page.getByRole("alert").innerText();
        if (i < 4) expect(last).toBe("Adresse e-mail ou mot de passe incorrect.");
      }
      expect(last).toContain("suspendue pendant 15 minutes");
      messages.push(last);
      // Even the right password is refused while locked, with the same words.
      await passwordStep(page, app.baseUrl, email);
      expect(await page.getByRole("alert").innerText()).toBe(last);
      if (email.startsWith("conseiller")) {
        await screenshot(page, "login-locked");
        await expectAccessible(page);
      }
      await page.context().close();
    }
    expect(messages[0]).toBe(messages[1]);

    // The admin sees the lock and lifts it; the agent logs in again.
    const admin = await newPage(ui.browser);
    await login(admin, app.baseUrl, ADMIN);
    await admin.goto(`${app.baseUrl}/admin/users?q=conseiller`);
    await expect(admin.locator("tbody .badge-warning").innerText()).resolves.toBe("Verrouillé");
    await admin.getByRole("link", { name: "Karim Conseiller (démo)" }).click();
    await admin.getByRole("button", { name: "Déverrouiller le compte" }).click();
    await expect(admin.locator("output.alert-success").innerText()).resolves.toContain("déverrouillé");
    await screenshot(admin, "admin-user-unlocked");
    await expectAccessible(admin);
    const agent = await newPage(ui.browser);
    await login(agent, app.baseUrl, "conseiller@demo.mes-ops.fr");
    await screenshot(agent, "agent-after-unlock");
    // Client navigation changes the URL before the new page renders: poll the heading.
    await expect.poll(() => agent.locator("h1").innerText(), { timeout: 10_000 }).toContain("Bonjour");
    await logout(agent);
    await agent.context().close();
    await admin.context().close();
  });
});

describe.runIf(browserAvailable())("mandatory second factor (REQUIRE_2FA=true, browser)", () => {
  const app = setupTestApp({ REQUIRE_2FA: "true" });
  const ui = setupBrowser();

  it("keeps a user without TOTP on the account page until enrolled, then lets them in", async () => {
    const page = await newPage(ui.browser);
    await login(page, app.baseUrl, "campagne@demo.mes-ops.fr");
    await page.waitForURL(/\/account\/security/);
    await expect(
      page.getByText("La double authentification est obligatoire").first().innerText(),
    ).resolves.toBeTruthy();
    await page.goto(`${app.baseUrl}/`);
    expect(new URL(page.url()).pathname).toBe("/account/security");
    await page.getByRole("button", { name: "Activer la double authentification" }).click();
    const secret = (await page.getByTestId("totp-secret").innerText()).trim();
    await page.getByLabel("Code à 6 chiffres affiché par l'application").fill(totpCode(secret));
    await page.getByRole("button", { name: "Confirmer l'activation" }).click();
    await page.getByRole("heading", { name: "Vos codes de secours" }).waitFor();
    // Mandatory: no way to turn it off from the page.
    expect(await page.getByText("Désactiver la double authentification").count()).toBe(0);
    await screenshot(page, "account-2fa-mandatory-enrolled");
    await expectAccessible(page);
    await page.goto(`${app.baseUrl}/`);
    // Client navigation changes the URL before the new page renders: poll the heading.
    await expect.poll(() => page.locator("h1").innerText(), { timeout: 10_000 }).toContain("Bonjour");
    await page.context().close();
  });
});
