import { sql } from "kysely";
import { sweepDeadlineDay } from "../../app/domain/lifecycle/deadlines.server";
import { addDays, parisDate } from "../../app/domain/lifecycle/paris-time";
import { WINDOW_END_SQL } from "../../app/domain/lifecycle/window";
import { insertPersons } from "../../test/factories";
import type { Seeder } from "./seeder";

const DEMO_PERSONS = 3_000;

/**
 * A demo slice of the campaign so that the funnel and the deadline calendar have something to show: one
 * completed wave « Démonstration — pilote » (31, 44, 80), its persons notified over the last 55 days, some
 * activated or opposed through the real transition paths' SQL, and the windows already over auto-created by
 * the real sweep. Persons use a NIR range (offset 800 000) that other demo seeds do not use.
 */
export const lifecycleDemoSeeder: Seeder = {
  name: "lifecycle-demo",
  async run(db) {
    const wave = await sql<{ id: number }>`
      INSERT INTO wave (name, status, segment, settings, member_count, completed_at)
      VALUES ('Démonstration — pilote (données fictives)', 'completed',
              ${JSON.stringify({ departments: ["31", "44", "80"], demo: true })}::jsonb,
              ${JSON.stringify({ windowDays: 42, demo: true })}::jsonb, ${DEMO_PERSONS}, now())
      RETURNING id`.execute(db);
    const waveId = wave.rows[0].id;
    const ids = await insertPersons(db, {
      count: DEMO_PERSONS,
      departments: ["31", "44", "80"],
      offset: 800_000,
      seed: 2026,
      emailShare: 0.6,
    });
    // Notified between 55 days ago and yesterday, at 10:00; the window ends 42 days later (Paris, DST-safe).
    const notifiedAt = sql.raw(`(now() - make_interval(days => 1 + (p.id % 55)::int))`);
    await sql`
      WITH moved AS (
        UPDATE person p SET state = 'notified', wave_id = ${waveId}, notified_at = ${notifiedAt},
          state_changed_at = ${notifiedAt},
          window_ends_at = ${sql.raw(WINDOW_END_SQL(`(now() - make_interval(days => 1 + (p.id % 55)::int))`, "42"))},
          updated_at = now()
        WHERE p.id = ANY(${ids}::bigint[])
        RETURNING p.id, p.notified_at, p.window_ends_at
      )
      INSERT INTO person_event (person_id, type, at, source, wave_id, from_state, to_state, details)
      SELECT id, 'notify', notified_at, 'job', ${waveId}, 'pending', 'notified',
             jsonb_build_object('demo', true, 'window_ends_at', window_ends_at)
      FROM moved`.execute(db);
    // About a third act during their window: activations on the portal, oppositions by phone or on the portal.
    for (const [type, to, source, modulo] of [
      ["activate", "activated", "portal", [0, 1, 2, 5]],
      ["oppose", "opposed", "helpline", [3]],
      ["oppose", "opposed", "portal", [7]],
    ] as const) {
      await sql`
        WITH moved AS (
          UPDATE person p SET state = ${to},
            state_changed_at = least(p.notified_at + make_interval(days => 1 + (p.id % 9)::int), now()),
            updated_at = now()
          WHERE p.id = ANY(${ids}::bigint[]) AND p.state = 'notified' AND (p.id % 13) = ANY(${[...modulo]}::int[])
          RETURNING p.id, p.state_changed_at
        )
        INSERT INTO person_event (person_id, type, at, source, wave_id, from_state, to_state, details)
        SELECT id, ${type}, state_changed_at, ${source}, ${waveId}, 'notified', ${to}, '{"demo": true}'::jsonb
        FROM moved`.execute(db);
    }
    // Windows already over: the real sweep creates those spaces.
    await sweepDeadlineDay(db, { day: addDays(parisDate(new Date()), -1) });
  },
};
