import { sql } from "kysely";
import { parisDate, parisInstant } from "../../app/domain/lifecycle/paris-time";
import { DEFAULT_SETTINGS, PILOT_DEPARTMENTS } from "../../app/domain/waves/wave";
import { buildPersons } from "../../test/factories";
import type { Seeder } from "./seeder";

const DEMO_PENDING = 240;

/**
 * Waves demo: a few hundred never-notified persons in the pilot departments (NIR offset 900 000, clearly
 * fictitious, skipped if a NIR already exists) and a draft wave « Pilote — démonstration » over them, ready
 * to be scheduled from /waves. Nothing is sent by the seed itself: scheduling runs the real jobs.
 */
export const wavesDemoSeeder: Seeder = {
  name: "waves-demo",
  async run(db) {
    const rows = buildPersons({
      count: DEMO_PENDING,
      departments: [...PILOT_DEPARTMENTS],
      offset: 900_000,
      seed: 1400,
      emailShare: 0.5,
    });
    const col = <K extends keyof (typeof rows)[number]>(k: K) => rows.map((r) => r[k]);
    await sql`
      INSERT INTO person (nir, last_name, first_name, birth_date, department, address_line, postal_code, city, email, phone)
      SELECT * FROM unnest(
        ${col("nir")}::text[], ${col("last_name")}::text[], ${col("first_name")}::text[], ${col("birth_date")}::date[],
        ${col("department")}::text[], ${col("address_line")}::text[], ${col("postal_code")}::text[], ${col("city")}::text[],
        ${col("email")}::text[], ${col("phone")}::text[]
      )
      ON CONFLICT (nir) DO NOTHING
    `.execute(db);
    const tomorrow = parisInstant(parisDate(new Date(Date.now() + 86400_000)), "08:00:00");
    await sql`
      INSERT INTO wave (name, status, segment, settings)
      VALUES ('Pilote — démonstration (données fictives)', 'draft',
        ${JSON.stringify({ departments: [...PILOT_DEPARTMENTS], mode: "pending", rollIds: [], ageMin: null, ageMax: null, hasEmail: "any" })}::jsonb,
        ${JSON.stringify({ ...DEFAULT_SETTINGS, startAt: tomorrow.toISOString(), letterCapacityPerDay: 100, emailCapacityPerHour: 60 })}::jsonb)
    `.execute(db);
  },
};
