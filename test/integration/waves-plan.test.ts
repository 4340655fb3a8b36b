import { sql } from "kysely";
import { describe, expect, it } from "vitest";
import { materialiseWave } from "../../app/domain/waves/plan.server";
import type { Channel } from "../../app/domain/waves/wave";
import { insertPersons } from "../factories";
import { setupTestDatabase } from "../setup/database";
import { scheduledWave, setupBoss } from "./waves-support";

const t = setupTestDatabase();
const harness = setupBoss(t);

/** Presort order: postal code in byte order ("C"), no postal code last, then person id. */
function presort(
  a: { postal_code: string | null; id: number },
  b: { postal_code: string | null; id: number },
) {
  if (a.postal_code !== b.postal_code) {
    if (a.postal_code === null) return 1;
    if (b.postal_code === null) return -1;
    return a.postal_code < b.postal_code ? -1 : 1;
  }
  return a.id - b.id;
}

describe("materialisation", () => {
  it("cuts each channel into batches that are consecutive slices of the postal-code presort order", async () => {
    const ids = await insertPersons(t.db, { count: 97, departments: ["31", "44"], emailShare: 0.4, seed: 3 });
    // Few postal codes, of very different sizes (one spans several batches of 7, others share one), a
    // "C"-order trap (byte order is not a locale's), and emails without a postal code (sorted last).
    await sql`
      UPDATE person SET postal_code = (ARRAY['31000','31000','31000','31000','44100','2A004','97411','31000','44100'])[1 + id % 9]
      WHERE id = ANY(${ids}::bigint[])
    `.execute(t.db);
    await sql`
      UPDATE person SET postal_code = NULL WHERE id = ANY(${ids}::bigint[]) AND email IS NOT NULL AND id % 4 = 0
    `.execute(t.db);
    const waveId = await scheduledWave(t.db, harness.boss, { departments: ["31", "44"] }, { batchSize: 7 });

    const members = await sql<{
      id: number;
      postal_code: string | null;
      channel: Channel;
      number: number;
      batch_id: number;
      planned_count: number;
    }>`
      SELECT p.id, p.postal_code, m.channel, b.number, b.id AS batch_id, b.planned_count
      FROM wave_member m JOIN person p ON p.id = m.person_id JOIN wave_batch b ON b.id = m.batch_id
      WHERE m.wave_id = ${waveId}
    `.execute(t.db);
    expect(members.rows).toHaveLength(97);
    expect(new Set(members.rows.map((m) => m.id)).size).toBe(97);
    for (const channel of ["letter", "email"] as const) {
      const rows = members.rows.filter((m) => m.channel === channel);
      expect(rows.length).toBeGreaterThan(7);
      // Batches in planned order, each filled with the next slice of the presort order, of its planned size.
      const byBatch = [...rows].sort((a, b) => a.number - b.number || presort(a, b));
      expect(byBatch.map((m) => m.id)).toEqual([...rows].sort(presort).map((m) => m.id));
      const sizes = new Map<number, { planned: number; got: number }>();
      for (const m of rows) {
        const s = sizes.get(m.batch_id) ?? { planned: m.planned_count, got: 0 };
        s.got++;
        sizes.set(m.batch_id, s);
      }
      for (const s of sizes.values()) expect(s.got).toBe(s.planned);
    }
    // A postal code larger than a batch is split across batches, by person id.
    const big = members.rows.filter((m) => m.channel === "letter" && m.postal_code === "31000");
    expect(new Set(big.map((m) => m.batch_id)).size).toBeGreaterThan(1);

    // The plan job may run again (a retry after a crash): nothing is added.
    expect(await materialiseWave(t.db, { boss: harness.boss }, { waveId })).toBeNull();
    const again = await sql<{
      n: number;
    }>`SELECT count(*)::int AS n FROM wave_member WHERE wave_id = ${waveId}`.execute(t.db);
    expect(again.rows[0].n).toBe(97);
  });

  it("completes a wave with no member at once (no batch would ever complete it), audited", async () => {
    const waveId = await scheduledWave(t.db, harness.boss, { departments: ["2B"] });
    const wave = await t.db
      .selectFrom("wave")
      .select(["status", "member_count", "planned_at", "completed_at"])
      .where("id", "=", waveId)
      .executeTakeFirstOrThrow();
    expect(wave).toMatchObject({ status: "completed", member_count: 0 });
    expect(wave.planned_at).not.toBeNull();
    expect(wave.completed_at).not.toBeNull();
    const audit = await t.db
      .selectFrom("audit_log")
      .select(["action", "details"])
      .where("object_type", "=", "wave")
      .where("object_id", "=", String(waveId))
      .orderBy("id")
      .execute();
    expect(audit.map((a) => a.action)).toEqual([
      "wave.created",
      "wave.scheduled",
      "wave.materialised",
      "wave.completed",
    ]);
    expect(audit[3].details).toMatchObject({ members: 0 });
  });
});
