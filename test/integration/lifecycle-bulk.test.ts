import { readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { sql } from "kysely";
import { beforeEach, describe, expect, it } from "vitest";
import { issueCodesForBatch } from "../../app/domain/codes/codes.server";
import {
  buildBulkTransition,
  buildLockedStatement,
  bulkTransition,
  codeRevocationOf,
  type LockedPerson,
} from "../../app/domain/lifecycle/bulk-transition.server";
import { applyTransition } from "../../app/domain/lifecycle/transition.server";
import { fromStatesOf, type LifecycleEvent, TRANSITIONS } from "../../app/domain/lifecycle/transitions";
import type { PersonState } from "../../db/schema";
import { insertPersons } from "../factories";
import { setupTestDatabase } from "../setup/database";
import { DAY_MS, expectRollupsMatchPersons } from "./lifecycle-support";

const t = setupTestDatabase();

const EVENTS: LifecycleEvent[] = ["notify", "activate", "oppose", "auto_create", "close"];
const STATES: PersonState[] = ["pending", "notified", "activated", "opposed", "auto_created", "closed"];
/** DESIGN §3, typed once more on purpose: the table and what the SQL receives must both say this. */
const ALLOWED_FROM: Record<LifecycleEvent, PersonState[]> = {
  notify: ["pending", "notified"],
  activate: ["notified", "opposed", "auto_created"],
  oppose: ["pending", "notified", "auto_created"],
  auto_create: ["notified"],
  close: ["auto_created", "activated"],
};
const STATE_LITERAL = /'(pending|notified|activated|opposed|auto_created|closed)'/;

let offset = 0;
async function personsIn(state: PersonState, count: number, since = new Date(Date.now() - 10 * DAY_MS)) {
  const windowEndsAt = new Date(since.getTime() + 42 * DAY_MS);
  const ids = await insertPersons(t.db, { count, state, offset, notifiedAt: since, windowEndsAt });
  offset += count;
  await sql`UPDATE person SET state_changed_at = ${since} WHERE id = ANY(${ids}::bigint[])`.execute(t.db);
  return ids;
}

async function lockedRows(ids: number[], at: Date): Promise<LockedPerson[]> {
  const rows = await t.db
    .selectFrom("person")
    .select(["id", "state", "state_changed_at"])
    .where("id", "in", ids)
    .orderBy("id")
    .forUpdate()
    .execute();
  return rows.map((r) => ({ personId: r.id, state: r.state, since: r.state_changed_at, at }));
}

async function eventsOf(ids: number[]) {
  return t.db
    .selectFrom("person_event")
    .select(["person_id", "type", "from_state", "to_state", "source", "details"])
    .where("person_id", "in", ids)
    .orderBy("person_id")
    .execute();
}

async function statesOf(ids: number[]): Promise<PersonState[]> {
  const rows = await t.db
    .selectFrom("person")
    .select(["id", "state"])
    .where("id", "in", ids)
    .orderBy("id")
    .execute();
  return rows.map((r) => r.state);
}

beforeEach(async () => {
  await sql`TRUNCATE person, person_event CASCADE`.execute(t.ownerDb);
});

describe("the from-states in the SQL are the transition table's", () => {
  it("fromStatesOf reads TRANSITIONS and agrees with DESIGN §3", () => {
    for (const event of EVENTS) {
      const fromTable = STATES.filter((s) => TRANSITIONS[s][event] !== undefined);
      expect(new Set(fromStatesOf(event)), event).toEqual(new Set(fromTable));
      expect(new Set(fromStatesOf(event)), event).toEqual(new Set(ALLOWED_FROM[event]));
    }
  });

  it("every statement the bulk function builds sends them as its array parameter, never as literals", () => {
    for (const event of EVENTS) {
      const expected = STATES.filter((s) => TRANSITIONS[s][event] !== undefined).sort();
      const keyset = buildBulkTransition({
        event,
        source: "job",
        persons: { kind: "keyset", where: sql`true`, afterId: 0, limit: 10, at: new Date() },
      }).compile(t.db);
      const cte = buildBulkTransition({
        event,
        source: "job",
        persons: {
          kind: "cte",
          with: sql`targets AS (SELECT id AS person_id, state AS from_state FROM person FOR UPDATE)`,
          at: new Date(),
          refuseStale: true,
        },
      }).compile(t.db);
      const from = expected[0];
      const locked = buildLockedStatement({ event, source: "job", persons: { kind: "locked", rows: [] } }, [
        {
          personId: 1,
          state: from,
          since: new Date(),
          at: new Date(),
          from,
          to: TRANSITIONS[from][event] as PersonState,
        },
      ]).compile(t.db);
      for (const [mode, q] of [
        ["keyset", keyset],
        ["cte", cte],
        ["locked", locked],
      ] as const) {
        expect(q.sql, `${event}/${mode}`).toMatch(/state = ANY\(\$\d+::text\[\]\)/);
        expect(q.sql, `${event}/${mode}`).not.toMatch(STATE_LITERAL);
        const arrays = q.parameters
          .filter(
            (p) => Array.isArray(p) && p.length > 0 && p.every((s) => STATES.includes(s as PersonState)),
          )
          .map((p) => [...(p as string[])].sort());
        // The allowed from-states are a parameter (beside, in locked mode, the rows' own from/to columns).
        expect(arrays, `${event}/${mode}`).toContainEqual(expected);
        if (mode !== "locked") expect(arrays[0], `${event}/${mode}`).toEqual(expected);
      }
    }
  });

  it("no caller types a person state in its SQL, and only the bulk function sets person.state", () => {
    const callers = [
      "app/domain/lifecycle/deadlines.server.ts",
      "app/domain/lifecycle/transition.server.ts",
      "app/domain/oppositions/oppositions.server.ts",
      "app/domain/portal/events.server.ts",
      "app/domain/waves/notify.server.ts",
      "app/domain/lifecycle/bulk-transition.server.ts",
    ];
    for (const file of callers) {
      const text = readFileSync(file, "utf8");
      expect(text, file).not.toMatch(
        /\bstate\s*(=|<>|IN)\s*\(?\s*'(pending|notified|activated|opposed|auto_created|closed)'/i,
      );
    }
    const writers: string[] = [];
    const walk = (dir: string) => {
      for (const name of readdirSync(dir)) {
        const full = path.join(dir, name);
        if (statSync(full).isDirectory()) walk(full);
        else if (/\.tsx?$/.test(name) && !name.includes(".test.")) {
          const text = readFileSync(full, "utf8");
          if (
            /UPDATE\s+person(\s+\w+)?\s+SET\s+state\s*=/i.test(text) ||
            /updateTable\("person"\)[\s\S]{0,300}?\bstate:/.test(text)
          )
            writers.push(full);
        }
      }
    };
    walk("app");
    expect(writers).toEqual([path.join("app", "domain", "lifecycle", "bulk-transition.server.ts")]);
  });
});

describe("bulkTransition on locked rows", () => {
  it("refuses moves the table does not allow, with its reason, and writes nothing for them", async () => {
    const closed = await personsIn("closed", 2);
    const pending = await personsIn("pending", 2);
    const at = new Date();
    await t.db.transaction().execute(async (trx) => {
      const opposeClosed = await bulkTransition(trx, {
        event: "oppose",
        source: "mail",
        persons: { kind: "locked", rows: await lockedRows(closed, at) },
      });
      expect(opposeClosed.moved).toBe(0);
      expect(opposeClosed.refused).toEqual(
        closed.map((id) => ({
          personId: id,
          code: "not_allowed",
          reason: expect.stringMatching(/^espace clôturé le /),
        })),
      );
      const activatePending = await bulkTransition(trx, {
        event: "activate",
        source: "portal",
        persons: { kind: "locked", rows: await lockedRows(pending, at) },
      });
      expect(activatePending.moved).toBe(0);
      expect(activatePending.refused.map((r) => [r.code, r.reason])).toEqual([
        ["not_allowed", "aucune notification envoyée : activation impossible"],
        ["not_allowed", "aucune notification envoyée : activation impossible"],
      ]);
    });
    expect(await statesOf([...closed, ...pending])).toEqual(["closed", "closed", "pending", "pending"]);
    expect(await eventsOf([...closed, ...pending])).toEqual([]);
  });

  it("moves the allowed ones in one call, one event each with the table's from/to and merged details", async () => {
    const pending = await personsIn("pending", 2);
    const notified = await personsIn("notified", 2);
    const auto = await personsIn("auto_created", 1);
    const closed = await personsIn("closed", 1);
    const all = [...pending, ...notified, ...auto, ...closed];
    const at = new Date();
    const result = await t.db.transaction().execute(async (trx) => {
      const rows = (await lockedRows(all, at)).map((r, i) => ({ ...r, details: { line: i + 1 } }));
      return bulkTransition(trx, {
        event: "oppose",
        source: "mail",
        wave: "person",
        details: { file: "f.csv" },
        persons: { kind: "locked", rows },
      });
    });
    expect(result.moved).toBe(5);
    expect(result.rows.map((r) => `${r.from}→${r.to}`).sort()).toEqual([
      "auto_created→closed",
      "notified→opposed",
      "notified→opposed",
      "pending→opposed",
      "pending→opposed",
    ]);
    expect(result.refused.map((r) => r.personId)).toEqual(closed);
    expect(await statesOf(all)).toEqual(["opposed", "opposed", "opposed", "opposed", "closed", "closed"]);
    const events = await eventsOf(all);
    expect(events).toHaveLength(5);
    expect(new Set(events.map((e) => e.person_id))).toEqual(new Set([...pending, ...notified, ...auto]));
    expect(events[0]).toMatchObject({ type: "oppose", source: "mail", details: { file: "f.csv", line: 1 } });
    const eventIds = await t.db.selectFrom("person_event").select("id").execute();
    expect(result.rows.map((r) => r.eventId).sort()).toEqual(eventIds.map((e) => e.id).sort());
    await expectRollupsMatchPersons(t.db);
  });

  it("refuses a stale event, and a row whose state is not the one the caller read (conflict)", async () => {
    const [a, b] = await personsIn("notified", 2);
    const result = await t.db.transaction().execute(async (trx) => {
      const rows = await lockedRows([a, b], new Date());
      rows[0].at = new Date(rows[0].since.getTime() - DAY_MS); // dated before the notification
      rows[1].state = "pending"; // the caller read something else: the UPDATE's state check refuses it
      rows[1].since = new Date(0);
      return bulkTransition(trx, { event: "notify", source: "job", persons: { kind: "locked", rows } });
    });
    expect(result.moved).toBe(0);
    expect(result.refused.map((r) => [r.personId, r.code])).toEqual([
      [a, "stale_event"],
      [b, "conflict"],
    ]);
    expect(await eventsOf([a, b])).toEqual([]);
  });

  it("applyTransition is its single-row case", async () => {
    const [id] = await personsIn("auto_created", 1);
    const done = await t.db
      .transaction()
      .execute((trx) =>
        applyTransition(trx, { personId: id, event: "activate", at: new Date(), source: "helpline" }),
      );
    expect(done).toMatchObject({ ok: true, from: "auto_created", to: "activated" });
    const again = await t.db
      .transaction()
      .execute((trx) =>
        applyTransition(trx, { personId: id, event: "oppose", at: new Date(), source: "helpline" }),
      );
    expect(again).toMatchObject({ ok: false, code: "not_allowed" });
    expect((await eventsOf([id])).map((e) => e.type)).toEqual(["activate"]);
  });
});

describe("bulkTransition by keyset (the sweep's shape)", () => {
  it("moves only persons in an allowed from-state, one event each, and reports the last id seen", async () => {
    const notified = await personsIn("notified", 3);
    const others = [
      ...(await personsIn("pending", 1)),
      ...(await personsIn("activated", 1)),
      ...(await personsIn("closed", 1)),
    ];
    const result = await bulkTransition(t.db, {
      event: "auto_create",
      source: "job",
      wave: "person",
      details: { deadline_day: "2022-03-01" },
      persons: { kind: "keyset", where: sql`true`, afterId: 0, limit: 100, at: "window_ends_at" },
    });
    expect(result).toMatchObject({ moved: 3, lastId: Math.max(...notified) });
    expect(await statesOf(notified)).toEqual(["auto_created", "auto_created", "auto_created"]);
    expect(await statesOf(others)).toEqual(["pending", "activated", "closed"]);
    const events = await eventsOf([...notified, ...others]);
    expect(events.map((e) => [e.person_id, e.from_state, e.to_state])).toEqual(
      notified.map((id) => [id, "notified", "auto_created"]),
    );
    expect(events[0].details).toEqual({ deadline_day: "2022-03-01" });
    await expectRollupsMatchPersons(t.db);
  });

  it("with several from-states, writes each row's own from/to (the table's)", async () => {
    const pending = await personsIn("pending", 1);
    const notified = await personsIn("notified", 1);
    const auto = await personsIn("auto_created", 1);
    const activated = await personsIn("activated", 1);
    const all = [...pending, ...notified, ...auto, ...activated];
    const result = await bulkTransition(t.db, {
      event: "oppose",
      source: "staff",
      persons: { kind: "keyset", where: sql`true`, afterId: 0, limit: 100, at: new Date() },
    });
    expect(result.moved).toBe(3);
    expect(await statesOf(all)).toEqual(["opposed", "opposed", "closed", "activated"]);
    expect((await eventsOf(all)).map((e) => `${e.from_state}→${e.to_state}`)).toEqual([
      "pending→opposed",
      "notified→opposed",
      "auto_created→closed",
    ]);
  });
});

describe("bulkTransition in the caller's statement (cte, the notify shape)", () => {
  it("refuses stale moves in SQL but lets a late opposition close an auto-created space", async () => {
    const since = new Date(Date.now() - DAY_MS);
    const notified = await personsIn("notified", 1, since);
    const auto = await personsIn("auto_created", 1, since);
    const closed = await personsIn("closed", 1, since);
    const all = [...notified, ...auto, ...closed];
    const before = new Date(since.getTime() - DAY_MS);
    const result = await bulkTransition(t.db, {
      event: "oppose",
      source: "portal",
      persons: {
        kind: "cte",
        with: sql`targets AS (
          SELECT p.id AS person_id, p.state AS from_state FROM person p WHERE p.id = ANY(${all}::bigint[]) FOR UPDATE OF p
        )`,
        at: before,
        refuseStale: true,
      },
    });
    expect(result.moved).toBe(1);
    expect(await statesOf(all)).toEqual(["notified", "closed", "closed"]);
    expect((await eventsOf(all)).map((e) => [e.person_id, e.from_state, e.to_state])).toEqual([
      [auto[0], "auto_created", "closed"],
    ]);
  });
});

describe("codes of opposed and closed spaces", () => {
  async function withCodes(ids: number[]) {
    const issued = await t.db.transaction().execute((trx) =>
      issueCodesForBatch(
        trx,
        { config: t.config },
        {
          personIds: ids,
          expiresAt: new Date(Date.now() + 30 * DAY_MS),
        },
      ),
    );
    return new Map(issued.map((c) => [c.personId, c.codeId]));
  }
  async function codesOf(ids: number[]) {
    return t.db
      .selectFrom("provisional_code")
      .select(["id", "person_id", "revoked_at", "revoked_reason", "used_at"])
      .where("person_id", "in", ids)
      .orderBy("id")
      .execute();
  }

  it("revokes on oppose and close only (every move of those events ends opposed or closed)", () => {
    expect(Object.fromEntries(EVENTS.map((e) => [e, codeRevocationOf(e)]))).toEqual({
      notify: null,
      activate: null,
      oppose: "opposed",
      auto_create: null,
      close: "closed",
    });
  });

  it("an opposition revokes each moved person's active code in its statement; the event names the code", async () => {
    const notified = await personsIn("notified", 2);
    const auto = await personsIn("auto_created", 1);
    const [bare] = await personsIn("pending", 1);
    const [activated] = await personsIn("activated", 1);
    const codes = await withCodes([...notified, ...auto, activated]);
    const all = [...notified, ...auto, bare, activated];
    const result = await t.db.transaction().execute(async (trx) =>
      bulkTransition(trx, {
        event: "oppose",
        source: "mail",
        persons: { kind: "locked", rows: await lockedRowsIn(trx, all, new Date()) },
      }),
    );
    expect(result.moved).toBe(4);
    expect(result.refused.map((r) => r.personId)).toEqual([activated]);
    const after = await codesOf(all);
    for (const id of [...notified, ...auto])
      expect(after.find((c) => c.person_id === id)).toMatchObject({
        id: codes.get(id),
        revoked_reason: "opposed",
      });
    // Refused (activated, « utilisez la clôture »): its code is left alone.
    expect(after.find((c) => c.person_id === activated)).toMatchObject({ revoked_at: null });
    const events = await eventsOf(all);
    for (const id of [...notified, ...auto])
      expect(events.find((e) => e.person_id === id)?.details).toMatchObject({ revokedCodeId: codes.get(id) });
    expect(events.find((e) => e.person_id === bare)?.details).not.toHaveProperty("revokedCodeId");
  });

  it("a closure by the CTE mode revokes too; a notification does not", async () => {
    const auto = await personsIn("auto_created", 2);
    const notified = await personsIn("notified", 1);
    const codes = await withCodes([...auto, ...notified]);
    const targets = (ids: number[]) =>
      sql`targets AS (SELECT p.id AS person_id, p.state AS from_state FROM person p WHERE p.id = ANY(${ids}::bigint[]) FOR UPDATE OF p)`;
    await t.db.transaction().execute(async (trx) => {
      await bulkTransition(trx, {
        event: "close",
        source: "portal",
        persons: { kind: "cte", with: targets(auto), at: new Date(), refuseStale: true },
      });
      await bulkTransition(trx, {
        event: "notify",
        source: "job",
        persons: { kind: "cte", with: targets(notified), at: new Date(), refuseStale: true },
      });
    });
    const after = await codesOf([...auto, ...notified]);
    for (const id of auto)
      expect(after.find((c) => c.person_id === id)).toMatchObject({
        id: codes.get(id),
        revoked_reason: "closed",
      });
    expect(after.find((c) => c.person_id === notified[0])).toMatchObject({ revoked_at: null });
    const events = await eventsOf(auto);
    expect(events.map((e) => e.details)).toEqual(auto.map((id) => ({ revokedCodeId: codes.get(id) })));
  });
});

async function lockedRowsIn(
  trx: Parameters<typeof bulkTransition>[0],
  ids: number[],
  at: Date,
): Promise<LockedPerson[]> {
  const rows = await trx
    .selectFrom("person")
    .select(["id", "state", "state_changed_at"])
    .where("id", "in", ids)
    .orderBy("id")
    .forUpdate()
    .execute();
  return rows.map((r) => ({ personId: r.id, state: r.state, since: r.state_changed_at, at }));
}
