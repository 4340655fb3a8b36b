import { sql } from "kysely";
import { describe, expect, it } from "vitest";
import { readAuditLog } from "../../app/domain/admin/audit-log.server";
import {
  createStaffUser,
  findStaffUser,
  listUsers,
  resetUserPassword,
  setUserDisabled,
  setUserRoles,
  unlockUser,
} from "../../app/domain/admin/users.server";
import type { AuditActor } from "../../app/domain/audit/audit.server";
import { attemptLogin, LOCKOUT_FAILURES } from "../../app/domain/auth/login.server";
import { createSession, findSession } from "../../app/domain/auth/session.server";
import { createUser } from "../../cli/seed/users";
import { setupTestDatabase } from "../setup/database";

const t = setupTestDatabase();
let admin: AuditActor;

async function theAdmin(): Promise<AuditActor> {
  if (admin) return admin;
  const id = await createUser(t.db, {
    email: "chef@example.fr",
    name: "Chef Admin",
    password: "correct-horse-battery",
    roles: ["admin"],
  });
  admin = { userId: id, label: "chef@example.fr", requestId: "req-admin", ip: "10.9.9.9" };
  return admin;
}

async function actionsOn(userId: number): Promise<string[]> {
  const page = await readAuditLog(t.db, { filters: { objectType: "user", objectId: String(userId) } });
  if (page.kind !== "page") throw new Error("no page");
  return page.rows.map((r) => r.action).reverse();
}

describe("admin: users", () => {
  it("creates a user with a generated password that must be changed, refusing a taken email", async () => {
    const actor = await theAdmin();
    const created = await createStaffUser(t.db, actor, {
      email: "Nouvel.Agent@example.fr",
      displayName: "Nouvel Agent",
      roles: ["helpline_agent", "helpline_agent"],
    });
    expect(created.kind).toBe("created");
    if (created.kind !== "created") return;
    expect(created.temporaryPassword).toMatch(/^[2-9A-Z]{4}(-[2-9A-Z]{4}){3}$/);
    const login = await attemptLogin(t.db, {
      email: "nouvel.agent@example.fr",
      password: created.temporaryPassword ?? "",
      ip: "10.2.0.1",
    });
    expect(login.kind).toBe("ok");
    const user = await findStaffUser(t.db, created.userId);
    expect(user).toMatchObject({ roles: ["helpline_agent"], status: "active", mustChangePassword: true });

    expect(
      await createStaffUser(t.db, actor, { email: "NOUVEL.agent@example.fr", displayName: "X", roles: [] }),
    ).toEqual({ kind: "email_taken" });
    expect(
      await createStaffUser(t.db, actor, {
        email: "weak@example.fr",
        displayName: "Weak",
        roles: ["ministry_viewer"],
        password: "password1234",
      }),
    ).toEqual({ kind: "weak_password", problem: "too_common" });
    const chosen = await createStaffUser(t.db, actor, {
      email: "chosen@example.fr",
      displayName: "Chosen",
      roles: ["ministry_viewer"],
      password: "Qx7-mauve-lanterne-91",
    });
    expect(chosen).toMatchObject({ kind: "created", temporaryPassword: null });
    const audit = await readAuditLog(t.db, { filters: { action: "user.created" } });
    expect(audit.kind === "page" && audit.rows.map((r) => JSON.parse(r.details).email)).toEqual([
      "chosen@example.fr",
      "Nouvel.Agent@example.fr",
    ]);
  });

  it("disables (revoking sessions) and re-enables; an admin cannot disable themself", async () => {
    const actor = await theAdmin();
    const id = await createUser(t.db, {
      email: "d@example.fr",
      name: "D",
      password: "correct-horse-battery",
      roles: [],
    });
    const s = await createSession(
      t.db,
      { config: t.config },
      {
        userId: id,
        secondFactorDone: true,
        ip: null,
        userAgent: null,
      },
    );
    expect(await setUserDisabled(t.db, actor, { userId: id, disabled: true })).toEqual({
      kind: "done",
      sessionsRevoked: 1,
    });
    expect(await findSession(t.db, { config: t.config }, s.token)).toBeNull();
    expect(
      (await attemptLogin(t.db, { email: "d@example.fr", password: "correct-horse-battery", ip: "10.2.0.2" }))
        .kind,
    ).toBe("invalid");
    expect(await setUserDisabled(t.db, actor, { userId: id, disabled: true })).toEqual({ kind: "unchanged" });
    expect(await setUserDisabled(t.db, actor, { userId: id, disabled: false })).toMatchObject({
      kind: "done",
    });
    expect((await findStaffUser(t.db, id))?.status).toBe("active");
    expect(await setUserDisabled(t.db, actor, { userId: actor.userId ?? 0, disabled: true })).toEqual({
      kind: "self_forbidden",
    });
    expect(await setUserDisabled(t.db, actor, { userId: 999_999, disabled: true })).toEqual({
      kind: "not_found",
    });
    expect(await actionsOn(id)).toEqual(["user.disabled", "user.enabled"]);
  });

  it("edits roles, refusing to let an admin drop their own admin role", async () => {
    const actor = await theAdmin();
    const id = await createUser(t.db, {
      email: "r@example.fr",
      name: "R",
      password: "correct-horse-battery",
      roles: ["helpline_agent"],
    });
    expect(
      await setUserRoles(t.db, actor, {
        userId: id,
        roles: ["helpline_supervisor"],
      }),
    ).toEqual({
      kind: "done",
      added: ["helpline_supervisor"],
      removed: ["helpline_agent"],
    });
    expect(await setUserRoles(t.db, actor, { userId: id, roles: ["helpline_supervisor"] })).toEqual({
      kind: "unchanged",
    });
    expect(
      await setUserRoles(t.db, actor, { userId: actor.userId ?? 0, roles: ["campaign_manager"] }),
    ).toEqual({
      kind: "self_forbidden",
    });
    expect(
      await setUserRoles(t.db, actor, { userId: actor.userId ?? 0, roles: ["admin", "campaign_manager"] }),
    ).toMatchObject({
      kind: "done",
      added: ["campaign_manager"],
    });
    const audit = await readAuditLog(t.db, {
      filters: { action: "user.roles_changed", objectType: "user", objectId: String(id) },
    });
    expect(audit.kind === "page" && JSON.parse(audit.rows[0].details)).toEqual({
      added: ["helpline_supervisor"],
      removed: ["helpline_agent"],
      roles: ["helpline_supervisor"],
    });
  });

  it("resets a password (temporary, sessions revoked) and unlocks a locked account", async () => {
    const actor = await theAdmin();
    const id = await createUser(t.db, {
      email: "l@example.fr",
      name: "L",
      password: "correct-horse-battery",
      roles: [],
    });
    for (let i = 0; i < LOCKOUT_FAILURES; i++) {
      await attemptLogin(t.db, { email: "l@example.fr", password: `wrong-${i}-password`, ip: "10.2.0.3" });
    }
    expect((await findStaffUser(t.db, id))?.status).toBe("locked");
    expect(
      (await attemptLogin(t.db, { email: "l@example.fr", password: "correct-horse-battery", ip: "10.2.0.3" }))
        .kind,
    ).toBe("locked");
    expect(await unlockUser(t.db, actor, { userId: id })).toEqual({ kind: "done" });
    expect((await findStaffUser(t.db, id))?.status).toBe("active");
    expect(
      (await attemptLogin(t.db, { email: "l@example.fr", password: "correct-horse-battery", ip: "10.2.0.3" }))
        .kind,
    ).toBe("ok");

    const s = await createSession(
      t.db,
      { config: t.config },
      {
        userId: id,
        secondFactorDone: true,
        ip: null,
        userAgent: null,
      },
    );
    const reset = await resetUserPassword(t.db, actor, { userId: id });
    expect(reset).toMatchObject({ kind: "done", sessionsRevoked: 1 });
    if (reset.kind !== "done") return;
    expect(await findSession(t.db, { config: t.config }, s.token)).toBeNull();
    expect(
      (await attemptLogin(t.db, { email: "l@example.fr", password: "correct-horse-battery", ip: "10.2.0.4" }))
        .kind,
    ).toBe("invalid");
    expect(
      (await attemptLogin(t.db, { email: "l@example.fr", password: reset.temporaryPassword, ip: "10.2.0.4" }))
        .kind,
    ).toBe("ok");
    expect((await findStaffUser(t.db, id))?.mustChangePassword).toBe(true);
    expect(await actionsOn(id)).toEqual(["user.unlocked", "user.password_reset"]);
  });

  it("lists users with search (wildcards escaped) and pages", async () => {
    await theAdmin();
    for (let i = 0; i < 7; i++) {
      await createUser(t.db, {
        email: `page${i}@liste.fr`,
        name: `Liste ${i}`,
        password: "correct-horse-battery",
        roles: ["ministry_viewer"],
      });
    }
    const first = await listUsers(t.db, { search: "liste.fr", page: 1, pageSize: 3 });
    expect(first).toMatchObject({ total: 7, page: 1, pageCount: 3 });
    expect(first.users.map((u) => u.displayName)).toEqual(["Liste 0", "Liste 1", "Liste 2"]);
    const last = await listUsers(t.db, { search: "LISTE", page: 99, pageSize: 3 });
    expect(last.page).toBe(3);
    expect(last.users.map((u) => u.displayName)).toEqual(["Liste 6"]);
    expect((await listUsers(t.db, { search: "%" })).total).toBe(0);
    expect(first.users[0].roles).toEqual(["ministry_viewer"]);
  });
});

describe("admin: audit log reading", () => {
  it("filters by user, action, object and Paris dates, and pages by keyset without gaps or repeats", async () => {
    const actor = await theAdmin();
    const other = await createUser(t.db, {
      email: "other@example.fr",
      name: "Other",
      password: "correct-horse-battery",
      roles: [],
    });
    // 130 rows over three Paris days (many sharing one timestamp, to test the id tie-break).
    await sql`
      INSERT INTO audit_log (at, actor_user_id, actor_label, action, object_type, object_id, details)
      SELECT CASE WHEN g <= 60 THEN timestamptz '2026-03-28 23:30:00+01'
                  WHEN g <= 100 THEN timestamptz '2026-03-29 00:30:00+01'
                  ELSE timestamptz '2026-03-30 12:00:00+02' END,
             CASE WHEN g % 2 = 0 THEN ${actor.userId}::bigint ELSE ${other}::bigint END,
             CASE WHEN g % 2 = 0 THEN 'chef@example.fr' ELSE 'other@example.fr' END,
             CASE WHEN g % 3 = 0 THEN 'test.three' ELSE 'test.other' END,
             'wave', (g % 5)::text, jsonb_build_object('n', g)
      FROM generate_series(1, 130) g`.execute(t.db);
    const all = async (filters: Parameters<typeof readAuditLog>[1]["filters"]) => {
      const seen: number[] = [];
      let after: number | null = null;
      for (let guard = 0; guard < 10; guard++) {
        const page = await readAuditLog(t.db, { filters, after, pageSize: 50 });
        if (page.kind !== "page") throw new Error(page.kind);
        seen.push(...page.rows.map((r) => JSON.parse(r.details).n as number));
        if (!page.nextCursor) break;
        after = page.nextCursor;
      }
      return seen;
    };
    const everything = await all({ objectType: "wave" });
    expect(everything).toHaveLength(130);
    expect(new Set(everything).size).toBe(130);
    // Newest first; within one timestamp, highest id first.
    expect(everything.slice(0, 3)).toEqual([130, 129, 128]);
    expect(everything.at(-1)).toBe(1);

    expect(await all({ objectType: "wave", userEmail: "OTHER@example.fr" })).toHaveLength(65);
    expect(await all({ objectType: "wave", action: "test.three" })).toHaveLength(43);
    expect(await all({ objectType: "wave", objectId: "0" })).toHaveLength(26);
    // 28 March 23:30 Paris is 28 March; 29 March 00:30 (+01, before the DST change at 02:00) is the 29th.
    expect(await all({ objectType: "wave", from: "2026-03-28", to: "2026-03-28" })).toHaveLength(60);
    expect(await all({ objectType: "wave", from: "2026-03-29", to: "2026-03-29" })).toHaveLength(40);
    expect(await all({ objectType: "wave", from: "2026-03-30" })).toHaveLength(30);
    expect(await readAuditLog(t.db, { filters: { userEmail: "ghost@example.fr" } })).toEqual({
      kind: "unknown_user",
    });
  });
});
