import { describe, expect, it } from "vitest";
import { fallBackToLetter } from "../../app/domain/waves/fallback.server";
import { listWaves, waveProgress } from "../../app/domain/waves/wave-queries.server";
import { cancelWave } from "../../app/domain/waves/waves.server";
import { insertPersons } from "../factories";
import { setupTestDatabase } from "../setup/database";
import { actor, deps, runWave, scheduledWave, setupBoss, waveConfig } from "./waves-support";

const t = setupTestDatabase();
const harness = setupBoss(t);

async function members(waveId: number) {
  return t.db
    .selectFrom("wave_member")
    .select(["id", "channel", "active", "batch_id"])
    .where("wave_id", "=", waveId)
    .orderBy("id")
    .execute();
}

// wave_member has no index on wave_id (migration 2026_12_05_1300): a wave's members are reached through its
// batches. Every member must be counted and freed with its own wave, a member moved to a follow-up letter
// batch included, and never with another wave.
describe("a wave's members, through its batches", () => {
  it("are counted, completed and cancelled with their wave only, a fallen-back member included", async () => {
    await insertPersons(t.db, { count: 6, departments: ["70"], emailShare: 0.5, seed: 70 });
    await insertPersons(t.db, { count: 4, departments: ["71"], offset: 6, seed: 71 });
    const first = await scheduledWave(t.db, harness.boss, { departments: ["70"] }, { batchSize: 5 });
    const second = await scheduledWave(t.db, harness.boss, { departments: ["71"] }, { batchSize: 5 });

    const email = (await members(first)).find((m) => m.channel === "email");
    expect(email).toBeDefined();
    await t.db
      .transaction()
      .execute((trx) =>
        fallBackToLetter(
          trx,
          { boss: harness.boss },
          { waveId: first, memberIds: [email?.id ?? 0], reason: "test" },
        ),
      );
    const moved = (await members(first)).find((m) => m.id === email?.id);
    expect(moved?.batch_id).not.toBe(email?.batch_id);

    expect(await waveProgress(t.db, first)).toMatchObject({ members: 6, fellBack: 1 });
    expect(await waveProgress(t.db, second)).toMatchObject({ members: 4, fellBack: 0 });

    await runWave(t.db, deps(harness.boss, waveConfig()), second);
    expect((await members(second)).every((m) => !m.active)).toBe(true);
    expect((await members(first)).every((m) => m.active)).toBe(true);
    const listed = await listWaves(t.db, { page: 1 });
    expect(listed.waves.find((w) => w.id === second)?.delivered).toBe(4);
    expect(listed.waves.find((w) => w.id === first)?.delivered).toBe(0);

    const report = await cancelWave(t.db, actor, first);
    expect(report).toMatchObject({ cancelledMembers: 6, alreadySent: 0 });
    expect((await members(first)).every((m) => !m.active)).toBe(true);
  });
});
