import { type Kysely, sql } from "kysely";
import type { AppConfig } from "../../app/config/config.server";
import type { Database } from "../../db/schema";
import { helplineSeeder } from "./helpline";
import { kpiDemoSeeder } from "./kpi";
import { lifecycleDemoSeeder } from "./lifecycle";
import { personsDemoSeeder } from "./persons";
import type { Seeder } from "./seeder";
import { demoUsersSeeder } from "./users";
import { wavesDemoSeeder } from "./waves";

export { DEMO_PASSWORD, DEMO_USERS } from "./users";

/** Demo data, in order; each seeder runs once per database, in its own transaction. */
export const SEEDERS: Seeder[] = [
  demoUsersSeeder,
  personsDemoSeeder,
  kpiDemoSeeder,
  lifecycleDemoSeeder,
  wavesDemoSeeder,
  // last, after the persons and waves demo data (as the helpline comes after the campaign)
  helplineSeeder,
];

export async function seedDemo(db: Kysely<Database>, config: AppConfig): Promise<string[]> {
  const applied: string[] = [];
  for (const seeder of SEEDERS) {
    const key = `seed.${seeder.name}`;
    const done = await db.selectFrom("app_setting").select("key").where("key", "=", key).executeTakeFirst();
    if (done) continue;
    await db.transaction().execute(async (trx) => {
      // Two processes seeding at once: the advisory lock makes the second wait, then see the marker.
      await sql`SELECT pg_advisory_xact_lock(hashtext(${key}))`.execute(trx);
      const again = await trx
        .selectFrom("app_setting")
        .select("key")
        .where("key", "=", key)
        .executeTakeFirst();
      if (again) return;
      await seeder.run(trx, config, db);
      await trx
        .insertInto("app_setting")
        .values({ key, value: JSON.stringify({ at: new Date().toISOString(), demo: true }) })
        .execute();
      applied.push(seeder.name);
    });
  }
  return applied;
}
