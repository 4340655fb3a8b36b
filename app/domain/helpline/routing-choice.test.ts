import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { type AgentCandidate, chooseAgent, planAssignments } from "./routing-choice";

const t0 = new Date("2026-11-23T08:00:00Z");
const agent = (userId: number, over: Partial<AgentCandidate> = {}): AgentCandidate => ({
  userId,
  presence: "available",
  capacity: 3,
  load: 0,
  skills: new Set([1]),
  idleSince: new Date(t0.getTime() + userId * 1000),
  ...over,
});

describe("chooseAgent", () => {
  it("picks the skilled agent idle the longest", () => {
    const choice = chooseAgent(1, [
      agent(3),
      agent(2, { idleSince: new Date(t0.getTime() - 60_000) }),
      agent(1),
    ]);
    expect(choice).toMatchObject({ ok: true, userId: 2 });
  });
  it("ignores agents without the skill", () => {
    const choice = chooseAgent(7, [agent(1), agent(2, { skills: new Set([1, 7]) })]);
    expect(choice).toMatchObject({ ok: true, userId: 2 });
    expect(chooseAgent(9, [agent(1)])).toEqual({
      ok: false,
      reason: "aucun conseiller n'a la compétence de cette file",
    });
  });
  it("ignores busy and away agents", () => {
    const choice = chooseAgent(1, [agent(1, { presence: "busy" }), agent(2, { presence: "away" }), agent(3)]);
    expect(choice).toMatchObject({ ok: true, userId: 3 });
    expect(chooseAgent(1, [agent(1, { presence: "away" })])).toMatchObject({
      ok: false,
      reason: "aucun conseiller compétent n'est disponible",
    });
  });
  it("never goes over capacity", () => {
    const choice = chooseAgent(1, [agent(1, { load: 3 }), agent(2, { load: 2 })]);
    expect(choice).toMatchObject({ ok: true, userId: 2 });
    expect(chooseAgent(1, [agent(1, { load: 3 }), agent(2, { load: 5, capacity: 5 })])).toMatchObject({
      ok: false,
      reason: "tous les conseillers compétents sont à pleine capacité",
    });
  });
  it("breaks idle-time ties by load then id", () => {
    const same = new Date(t0);
    expect(
      chooseAgent(1, [agent(5, { idleSince: same, load: 1 }), agent(4, { idleSince: same, load: 2 })]),
    ).toMatchObject({ userId: 5 });
    expect(chooseAgent(1, [agent(5, { idleSince: same }), agent(4, { idleSince: same })])).toMatchObject({
      userId: 4,
    });
  });
});

describe("planAssignments", () => {
  it("round-robins by idle time and stops at capacity", () => {
    const cases = Array.from({ length: 8 }, (_, i) => ({ id: i + 1, queueId: 1 }));
    const { assignments, unassigned } = planAssignments(cases, [agent(1, { capacity: 2 }), agent(2)], t0);
    expect(assignments.map((a) => a.userId)).toEqual([1, 2, 1, 2, 2]);
    expect(unassigned).toHaveLength(3);
  });
  it("property: never exceeds a capacity, never assigns without skill or presence", () => {
    const arbAgent = fc.record({
      userId: fc.integer({ min: 1, max: 40 }),
      presence: fc.constantFrom("available" as const, "busy" as const, "away" as const),
      capacity: fc.integer({ min: 1, max: 5 }),
      load: fc.integer({ min: 0, max: 5 }),
      skills: fc.uniqueArray(fc.integer({ min: 1, max: 4 }), { maxLength: 4 }).map((s) => new Set(s)),
      idleSince: fc.integer({ min: 0, max: 1e6 }).map((n) => new Date(t0.getTime() + n)),
    });
    fc.assert(
      fc.property(
        fc.uniqueArray(arbAgent, { selector: (a) => a.userId, maxLength: 12 }),
        fc.array(fc.integer({ min: 1, max: 4 }), { maxLength: 60 }),
        (agents, queues) => {
          const cases = queues.map((queueId, i) => ({ id: i, queueId }));
          const { assignments, unassigned } = planAssignments(cases, agents, t0);
          expect(assignments.length + unassigned.length).toBe(cases.length);
          const added = new Map<number, number>();
          for (const a of assignments) {
            const ag = agents.find((x) => x.userId === a.userId);
            expect(ag?.presence).toBe("available");
            expect(ag?.skills.has(cases[a.caseId].queueId)).toBe(true);
            added.set(a.userId, (added.get(a.userId) ?? 0) + 1);
          }
          for (const ag of agents) {
            const extra = added.get(ag.userId) ?? 0;
            if (extra > 0) expect(ag.load + extra).toBeLessThanOrEqual(ag.capacity);
          }
        },
      ),
    );
  });
});
