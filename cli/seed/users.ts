import type { Kysely } from "kysely";
import { hashPassword } from "../../app/domain/auth/password.server";
import type { Role } from "../../app/domain/auth/permissions";
import type { Database } from "../../db/schema";
import type { Seeder } from "./seeder";

export const DEMO_PASSWORD = "MesOps-demo-2026";

export const DEMO_USERS: Array<{ email: string; name: string; role: Role }> = [
  { email: "admin@demo.mes-ops.fr", name: "Alice Admin (démo)", role: "admin" },
  { email: "campagne@demo.mes-ops.fr", name: "Camille Campagne (démo)", role: "campaign_manager" },
  { email: "conseiller@demo.mes-ops.fr", name: "Karim Conseiller (démo)", role: "helpline_agent" },
  { email: "superviseur@demo.mes-ops.fr", name: "Sophie Superviseure (démo)", role: "helpline_supervisor" },
  { email: "ministere@demo.mes-ops.fr", name: "Marc Ministère (démo)", role: "ministry_viewer" },
];

export async function createUser(
  db: Kysely<Database>,
  params: { email: string; name: string; password: string; roles: Role[] },
): Promise<number> {
  const { id } = await db
    .insertInto("app_user")
    .values({
      email: params.email,
      display_name: params.name,
      password_hash: await hashPassword(params.password),
    })
    .returning("id")
    .executeTakeFirstOrThrow();
  if (params.roles.length > 0) {
    await db
      .insertInto("user_role")
      .values(params.roles.map((role) => ({ user_id: id, role })))
      .execute();
  }
  return id;
}

export const demoUsersSeeder: Seeder = {
  name: "demo-users",
  async run(db) {
    for (const u of DEMO_USERS) {
      await createUser(db, { email: u.email, name: u.name, password: DEMO_PASSWORD, roles: [u.role] });
    }
  },
};
