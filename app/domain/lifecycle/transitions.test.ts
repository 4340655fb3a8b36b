import { describe, expect, it } from "vitest";
import type { PersonState } from "../../../db/tables/core";
import { decideTransition, type LifecycleEvent, TRANSITIONS } from "./transitions";
import { windowEnd } from "./window";

const STATES: PersonState[] = ["pending", "notified", "activated", "opposed", "auto_created", "closed"];
const EVENTS: LifecycleEvent[] = ["notify", "activate", "oppose", "auto_create", "close"];

const EXPECTED: Record<string, PersonState | null> = {
  "pending/notify": "notified",
  "pending/oppose": "opposed",
  "notified/notify": "notified",
  "notified/activate": "activated",
  "notified/oppose": "opposed",
  "notified/auto_create": "auto_created",
  "opposed/activate": "activated",
  "auto_created/activate": "activated",
  "auto_created/oppose": "closed",
  "auto_created/close": "closed",
  "activated/close": "closed",
};

describe("transition table", () => {
  const since = new Date("2022-02-12T10:00:00Z");
  const later = new Date("2022-02-20T10:00:00Z");
  for (const state of STATES) {
    for (const event of EVENTS) {
      const expected = EXPECTED[`${state}/${event}`] ?? null;
      it(`${state} --${event}--> ${expected ?? "refused"}`, () => {
        const d = decideTransition({ state, since }, event, later);
        if (expected) expect(d).toEqual({ ok: true, from: state, to: expected });
        else {
          expect(d.ok).toBe(false);
          if (!d.ok) {
            expect(d.code).toBe("not_allowed");
            expect(d.reason.length).toBeGreaterThan(5);
          }
        }
      });
    }
  }

  it("says when a person already opposed", () => {
    const d = decideTransition({ state: "opposed", since }, "oppose", later);
    expect(d).toMatchObject({ ok: false, reason: "déjà opposé le 12/02/2022" });
  });

  it("refuses an event older than the current state (out-of-order delivery)", () => {
    const d = decideTransition({ state: "notified", since: later }, "activate", since);
    expect(d).toMatchObject({ ok: false, code: "stale_event" });
  });

  it("refuses every stale event, whatever the pair, except a late in-window opposition after auto-creation", () => {
    for (const state of STATES) {
      for (const event of EVENTS) {
        if (!EXPECTED[`${state}/${event}`]) continue;
        const d = decideTransition({ state, since: later }, event, since);
        if (state === "auto_created" && event === "oppose") {
          expect(d).toEqual({ ok: true, from: "auto_created", to: "closed" });
        } else expect(d, `${state}/${event}`).toMatchObject({ ok: false, code: "stale_event" });
      }
    }
  });

  it("accepts an event dated exactly when the state was reached", () => {
    expect(decideTransition({ state: "notified", since }, "oppose", since)).toMatchObject({ ok: true });
  });

  it("names the date in every refusal reason (Paris date)", () => {
    const lateEvening = new Date("2022-02-12T23:30:00Z"); // 13/02 00:30 in Paris
    expect(decideTransition({ state: "closed", since: lateEvening }, "activate", later)).toMatchObject({
      reason: "espace clôturé le 13/02/2022",
    });
    expect(decideTransition({ state: "activated", since }, "activate", later)).toMatchObject({
      reason: "déjà activé le 12/02/2022",
    });
    expect(decideTransition({ state: "auto_created", since }, "auto_create", later)).toMatchObject({
      reason: "espace déjà créé automatiquement le 12/02/2022",
    });
  });

  it("has no transition out of closed", () => {
    expect(Object.keys(TRANSITIONS.closed)).toEqual([]);
  });
});

describe("window end (Europe/Paris, DST-safe)", () => {
  it("ends at 23:59:59 Paris time on the 42nd day, in winter (UTC+1)", () => {
    // Notified 3 Feb 2022 10:00 Paris → 17 March 2022 23:59:59 Paris = 22:59:59Z
    expect(windowEnd(new Date("2022-02-03T09:00:00Z")).toISOString()).toBe("2022-03-17T22:59:59.000Z");
  });

  it("crosses the spring DST change (ends in summer time, UTC+2)", () => {
    // Notified 18 Feb 2022 → 1 April 2022 23:59:59 CEST = 21:59:59Z (DST began 27 March)
    expect(windowEnd(new Date("2022-02-18T12:00:00Z")).toISOString()).toBe("2022-04-01T21:59:59.000Z");
  });

  it("uses the Paris date of a late-evening notification, not the UTC date", () => {
    // 31 Jan 2022 23:30 Paris = 22:30Z, same day; 1 Feb 00:30 Paris = 31 Jan 23:30Z → Paris date 1 Feb
    expect(windowEnd(new Date("2022-01-31T23:30:00Z"), 1).toISOString()).toBe("2022-02-02T22:59:59.000Z");
  });

  it("crosses the autumn change", () => {
    // Notified 20 Oct 2022 → 1 Dec 2022 23:59:59 CET (UTC+1)
    expect(windowEnd(new Date("2022-10-20T08:00:00Z")).toISOString()).toBe("2022-12-01T22:59:59.000Z");
  });
});
