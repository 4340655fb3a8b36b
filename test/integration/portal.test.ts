import { sql } from "kysely";
import { describe, expect, it } from "vitest";
import { createLogger } from "../../app/config/logger.server";
import { issueCode } from "../../app/domain/codes/codes.server";
import { buildNir } from "../../app/domain/persons/nir";
import { handlePortalEvents, handleVerifyCode } from "../../app/domain/portal/api.server";
import { processPortalEvents } from "../../app/domain/portal/events.server";
import { signedHeaders, signPortalPayload } from "../../app/domain/portal/signature";
import { verifyPortalCode } from "../../app/domain/portal/verify-code.server";
import { insertPersons } from "../factories";
import { setupTestDatabase } from "../setup/database";
import { DAY_MS, expectRollupsMatchPersons } from "./lifecycle-support";

const t = setupTestDatabase();
const ctx = () => ({ db: t.db, config: t.config, logger: createLogger({ level: "silent" }) });
const SECRET = "test-portal-secret-0123456789-abcdefghijk";

function signed(path: string, body: unknown, opts: { now?: Date; secret?: string } = {}): Request {
  const raw = typeof body === "string" ? body : JSON.stringify(body);
  return new Request(`http://localhost${path}`, {
    method: "POST",
    headers: signedHeaders(opts.secret ?? SECRET, raw, opts.now),
    body: raw,
  });
}

let offset = 0;
async function notifiedPerson(): Promise<{ id: number; nir: string }> {
  const [id] = await insertPersons(t.db, {
    count: 1,
    state: "notified",
    offset: offset++,
    seed: offset,
    notifiedAt: new Date(Date.now() - 10 * DAY_MS),
    windowEndsAt: new Date(Date.now() + 30 * DAY_MS),
  });
  // Notified ten days ago: events of the last minutes are newer than the state.
  await sql`UPDATE person SET state_changed_at = notified_at WHERE id = ${id}`.execute(t.db);
  const row = await t.db.selectFrom("person").select("nir").where("id", "=", id).executeTakeFirstOrThrow();
  return { id, nir: row.nir };
}

async function codeFor(personId: number): Promise<string> {
  const issued = await t.db
    .transaction()
    .execute((trx) =>
      issueCode(trx, { config: t.config }, { personId, expiresAt: new Date(Date.now() + 40 * DAY_MS) }),
    );
  return issued.clearCode;
}

async function post(handler: typeof handleVerifyCode, request: Request) {
  const response = await handler(request, ctx());
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

describe("portal signature", () => {
  it("accepts a signed request once and refuses its replay", async () => {
    const p = await notifiedPerson();
    const request = signed("/api/portal/verify-code", { nir: p.nir, code: "ABCD-EFGH-JKMNP" });
    const replay = request.clone();
    expect(await post(handleVerifyCode, request)).toEqual({ status: 200, body: { result: "invalid" } });
    expect(await post(handleVerifyCode, replay)).toMatchObject({ status: 401, body: { error: "replayed" } });
  });

  it("refuses missing headers, a bad timestamp, a clock skew over 5 minutes and a wrong signature", async () => {
    const body = JSON.stringify({ nir: "184057512345632", code: "X" });
    const bare = new Request("http://localhost/api/portal/verify-code", { method: "POST", body });
    expect(await post(handleVerifyCode, bare)).toMatchObject({
      status: 401,
      body: { error: "missing_signature" },
    });

    const badTs = new Request("http://localhost/x", {
      method: "POST",
      body,
      headers: { "X-MES-Timestamp": "yesterday", "X-MES-Signature": "v1=00" },
    });
    expect(await post(handleVerifyCode, badTs)).toMatchObject({
      status: 401,
      body: { error: "bad_timestamp" },
    });

    const old = signed("/api/portal/verify-code", body, { now: new Date(Date.now() - 6 * 60_000) });
    expect(await post(handleVerifyCode, old)).toMatchObject({ status: 401, body: { error: "clock_skew" } });
    const ahead = signed("/api/portal/verify-code", body, { now: new Date(Date.now() + 6 * 60_000) });
    expect(await post(handleVerifyCode, ahead)).toMatchObject({ status: 401, body: { error: "clock_skew" } });
    const within = signed("/api/portal/verify-code", body, { now: new Date(Date.now() - 4 * 60_000) });
    expect((await post(handleVerifyCode, within)).status).toBe(400); // signature fine; the NIR is not

    const wrong = signed("/api/portal/verify-code", body, { secret: "not-the-secret" });
    expect(await post(handleVerifyCode, wrong)).toMatchObject({
      status: 401,
      body: { error: "bad_signature" },
    });

    // The body is inside the MAC: changing one byte breaks it.
    const ts = Math.floor(Date.now() / 1000);
    const tampered = new Request("http://localhost/x", {
      method: "POST",
      body: body.replace("X", "Y"),
      headers: { "X-MES-Timestamp": String(ts), "X-MES-Signature": signPortalPayload(SECRET, ts, body) },
    });
    expect(await post(handleVerifyCode, tampered)).toMatchObject({
      status: 401,
      body: { error: "bad_signature" },
    });
  });

  it("answers bad input with a JSON 4xx, never a 500", async () => {
    expect(await post(handleVerifyCode, signed("/x", "{not json"))).toMatchObject({
      status: 400,
      body: { error: "invalid_json" },
    });
    expect(await post(handleVerifyCode, signed("/x", { nir: 12 }))).toMatchObject({ status: 400 });
    expect(await post(handlePortalEvents, signed("/x", { events: [] }))).toMatchObject({ status: 400 });
    const tooMany = Array.from({ length: 501 }, (_, i) => ({ event_id: `e${i}` }));
    expect(await post(handlePortalEvents, signed("/x", { events: tooMany }))).toMatchObject({ status: 400 });
    const get = new Request("http://localhost/x", { method: "GET" });
    expect((await handleVerifyCode(get, ctx())).status).toBe(405);
  });
});

describe("verify-code", () => {
  it("says valid, invalid, revoked, already used — and invalid for an unknown NIR", async () => {
    const p = await notifiedPerson();
    const code = await codeFor(p.id);
    let tick = 0;
    // Each call signed at a different second: identical requests in one second are one signature (a replay).
    const check = async (nir: string, c: string) =>
      (
        await post(
          handleVerifyCode,
          signed("/api/portal/verify-code", { nir, code: c }, { now: new Date(Date.now() + 1000 * tick++) }),
        )
      ).body.result;
    expect(await check(p.nir, code)).toBe("valid");
    expect(await check(p.nir, code.toLowerCase().replaceAll("-", " "))).toBe("valid");
    expect(await check(p.nir, "ABCD-EFGH-JKMNP")).toBe("invalid");
    const unknown = buildNir({ sex: 1, year: 1984, month: 5, department: "75", commune: 998, order: 998 });
    expect(await check(unknown, code)).toBe("invalid");
    const second = await codeFor(p.id);
    expect(await check(p.nir, code)).toBe("revoked");
    await sql`UPDATE provisional_code SET used_at = now() WHERE used_at IS NULL AND person_id = ${p.id}`.execute(
      t.db,
    );
    expect(await check(p.nir, second)).toBe("already_used");
  });

  it("locks a NIR for 15 minutes after 5 failures (audited), even for the right code, then lets it try again", async () => {
    const p = await notifiedPerson();
    const code = await codeFor(p.id);
    const now = new Date();
    for (let i = 0; i < 5; i++) {
      const r = await verifyPortalCode(
        t.db,
        { config: t.config },
        { nir: p.nir, code: "ABCD-EFGH-JKMNP", now },
      );
      expect(r).toEqual({ kind: "checked", result: "invalid" });
    }
    const locked = await post(handleVerifyCode, signed("/api/portal/verify-code", { nir: p.nir, code }));
    expect(locked).toMatchObject({ status: 429, body: { error: "locked" } });
    const audit = await sql<{ object_id: string; details: Record<string, unknown> }>`
      SELECT object_id, details FROM audit_log WHERE action = 'portal.verify_locked'`.execute(t.db);
    expect(audit.rows).toHaveLength(1);
    expect(audit.rows[0].object_id).toBe(String(p.id));
    expect(JSON.stringify(audit.rows[0].details)).not.toContain(p.nir);
    const later = new Date(now.getTime() + 15 * 60_000 + 1000);
    expect(await verifyPortalCode(t.db, { config: t.config }, { nir: p.nir, code, now: later })).toEqual({
      kind: "checked",
      result: "valid",
    });
  });

  it("evaluates at most 5 guesses for one NIR even when 30 arrive at once", async () => {
    const p = await notifiedPerson();
    await codeFor(p.id);
    const outcomes = await Promise.all(
      Array.from({ length: 30 }, () =>
        verifyPortalCode(t.db, { config: t.config }, { nir: p.nir, code: "ABCD-EFGH-JKMNP" }),
      ),
    );
    expect(outcomes.filter((o) => o.kind === "checked")).toHaveLength(5);
    expect(outcomes.filter((o) => o.kind === "locked")).toHaveLength(25);
  });

  it("counts failures for unknown NIRs too (no enumeration by brute force)", async () => {
    const unknown = buildNir({ sex: 2, year: 1979, month: 8, department: "2A", commune: 123, order: 456 });
    for (let i = 0; i < 5; i++)
      await verifyPortalCode(t.db, { config: t.config }, { nir: unknown, code: "X" });
    expect((await verifyPortalCode(t.db, { config: t.config }, { nir: unknown, code: "X" })).kind).toBe(
      "locked",
    );
  });
});

describe("portal events", () => {
  const at = (minutesAgo: number) => new Date(Date.now() - minutesAgo * 60_000).toISOString();

  it("applies an activation, consumes the code, and returns the first result on replay", async () => {
    const p = await notifiedPerson();
    const code = await codeFor(p.id);
    const event = { event_id: `act-${p.id}`, type: "activation", nir: p.nir, at: at(1) };
    const first = await post(handlePortalEvents, signed("/api/portal/events", { events: [event] }));
    expect(first).toMatchObject({
      status: 200,
      body: { results: [{ status: "applied", state: "activated" }] },
    });
    // The portal re-sends the same batch later (a new timestamp, so a new signature).
    const resent = signed("/api/portal/events", { events: [event] }, { now: new Date(Date.now() + 2000) });
    const again = await post(handlePortalEvents, resent);
    expect(again.body.results).toEqual([
      { event_id: event.event_id, status: "applied", state: "activated", replayed: true },
    ]);
    const events = await sql<{ n: number }>`
      SELECT count(*)::int AS n FROM person_event WHERE person_id = ${p.id} AND type = 'activate'`.execute(
      t.db,
    );
    expect(events.rows[0].n).toBe(1);
    const verify = await post(handleVerifyCode, signed("/api/portal/verify-code", { nir: p.nir, code }));
    expect(verify.body.result).toBe("already_used");
    // Same event_id, different content: refused, nothing applied.
    const reused = await post(
      handlePortalEvents,
      signed("/api/portal/events", { events: [{ ...event, type: "closure" }] }),
    );
    expect(reused.body.results).toEqual([
      expect.objectContaining({ status: "refused", code: "event_id_reused" }),
    ]);
  });

  it("answers unknown NIRs, bad items and refused transitions with a reason, per event", async () => {
    const p = await notifiedPerson();
    const ghost = buildNir({ sex: 1, year: 1950, month: 1, department: "75", commune: 998, order: 997 });
    const batch = [
      { event_id: `opp-${p.id}`, type: "opposition", nir: p.nir, at: at(5) },
      { event_id: `opp2-${p.id}`, type: "opposition", nir: p.nir, at: at(4) },
      { event_id: `ghost-${p.id}`, type: "activation", nir: ghost, at: at(3) },
      { event_id: `bad-${p.id}`, type: "teleport", nir: p.nir, at: at(3) },
      { event_id: `badnir-${p.id}`, type: "opposition", nir: "123", at: at(3) },
      {
        event_id: `future-${p.id}`,
        type: "closure",
        nir: p.nir,
        at: new Date(Date.now() + 3600_000).toISOString(),
      },
      { type: "activation", nir: p.nir, at: at(2) },
      "not an object",
    ];
    const r = await post(handlePortalEvents, signed("/api/portal/events", { events: batch }));
    expect(r.status).toBe(200);
    const results = r.body.results as Array<Record<string, unknown>>;
    expect(results.map((x) => [x.status, x.code ?? x.state])).toEqual([
      ["applied", "opposed"],
      ["refused", "not_allowed"],
      ["unknown_nir", "unknown_nir"],
      ["invalid", "invalid_event"],
      ["invalid", "invalid_nir"],
      ["invalid", "future_event"],
      ["invalid", "missing_event_id"],
      ["invalid", "missing_event_id"],
    ]);
    expect(String(results[1].reason)).toMatch(/^déjà opposé le \d\d\/\d\d\/\d{4}$/);
    expect(r.body.summary).toEqual({ applied: 1, refused: 1, unknown_nir: 1, invalid: 5 });
  });

  it("handles out-of-order delivery: an event older than the current state does not overwrite it", async () => {
    const p = await notifiedPerson();
    const send = (events: unknown[]) => post(handlePortalEvents, signed("/api/portal/events", { events }));
    // Opposed at T-10 min is delivered first; an activation made at T-20 min arrives late.
    const opp = await send([{ event_id: `o-${p.id}`, type: "opposition", nir: p.nir, at: at(10) }]);
    expect((opp.body.results as unknown[])[0]).toMatchObject({ status: "applied", state: "opposed" });
    const late = await send([{ event_id: `a-${p.id}`, type: "activation", nir: p.nir, at: at(20) }]);
    expect((late.body.results as unknown[])[0]).toMatchObject({ status: "refused", code: "stale_event" });
    const person = await t.db
      .selectFrom("person")
      .select("state")
      .where("id", "=", p.id)
      .executeTakeFirstOrThrow();
    expect(person.state).toBe("opposed");
    // A newer activation is allowed (opposed → activated).
    const newer = await send([{ event_id: `a2-${p.id}`, type: "activation", nir: p.nir, at: at(1) }]);
    expect((newer.body.results as unknown[])[0]).toMatchObject({ status: "applied", state: "activated" });
    await expectRollupsMatchPersons(t.db);
  });

  it("keeps the order of events for one NIR inside a batch and stores one row per event id", async () => {
    const p = await notifiedPerson();
    const events = [
      { event_id: `s1-${p.id}`, type: "activation", nir: p.nir, at: at(3) },
      { event_id: `s2-${p.id}`, type: "closure", nir: p.nir, at: at(2) },
    ];
    const r = await post(handlePortalEvents, signed("/api/portal/events", { events }));
    expect((r.body.results as Array<{ state: string }>).map((x) => x.state)).toEqual(["activated", "closed"]);
    const stored = await sql<{ n: number }>`
      SELECT count(*)::int AS n FROM portal_event WHERE person_id = ${p.id}`.execute(t.db);
    expect(stored.rows[0].n).toBe(2);
    await expectRollupsMatchPersons(t.db);
  });
});

describe("portal event batches", () => {
  const at = (minutesAgo: number) => new Date(Date.now() - minutesAgo * 60_000).toISOString();

  it("answers a duplicate id inside one batch like a replay, and concurrent identical batches apply once", async () => {
    const p = await notifiedPerson();
    const q = await notifiedPerson();
    const e1 = { event_id: `dup-${p.id}`, type: "opposition", nir: p.nir, at: at(2) };
    const e2 = { event_id: `dup-${q.id}`, type: "activation", nir: q.nir, at: at(2) };
    const inOne = await processPortalEvents(
      t.db,
      { config: t.config },
      { events: [e1, e1, { ...e1, type: "closure" }] },
    );
    expect(inOne.map((r) => [r.status, r.replayed ?? false, r.code ?? r.state])).toEqual([
      ["applied", false, "opposed"],
      ["applied", true, "opposed"],
      ["refused", false, "event_id_reused"],
    ]);
    const [a, b] = await Promise.all([
      processPortalEvents(t.db, { config: t.config }, { events: [e2] }),
      processPortalEvents(t.db, { config: t.config }, { events: [e2] }),
    ]);
    expect([a[0].replayed ?? false, b[0].replayed ?? false].sort()).toEqual([false, true]);
    const events = await sql<{ n: number }>`
      SELECT count(*)::int AS n FROM person_event WHERE person_id IN (${p.id}, ${q.id})`.execute(t.db);
    expect(events.rows[0].n).toBe(2);
    await expectRollupsMatchPersons(t.db);
  });

  it("lets concurrent batches on the same persons serialise without deadlock or lost update", async () => {
    const people = await Promise.all(Array.from({ length: 6 }, () => notifiedPerson()));
    const batch = (tag: string, type: string, reverse: boolean) => {
      const list = people.map((p, i) => ({ event_id: `${tag}-${i}-${p.id}`, type, nir: p.nir, at: at(1) }));
      return reverse ? list.reverse() : list;
    };
    const [opp, act] = await Promise.all([
      processPortalEvents(t.db, { config: t.config }, { events: batch("o", "opposition", false) }),
      processPortalEvents(t.db, { config: t.config }, { events: batch("a", "activation", true) }),
    ]);
    // Whichever batch committed first opposed or activated everyone; the other is then refused or moves on.
    const applied = [...opp, ...act].filter((r) => r.status === "applied").length;
    expect(applied).toBeGreaterThanOrEqual(6);
    expect([...opp, ...act].every((r) => r.status === "applied" || r.status === "refused")).toBe(true);
    const ev = await sql<{ n: number }>`
      SELECT count(*)::int AS n FROM person_event WHERE person_id = ANY(${people.map((p) => p.id)}::bigint[])`.execute(
      t.db,
    );
    expect(ev.rows[0].n).toBe(applied);
    await expectRollupsMatchPersons(t.db);
  });
});

describe("demo portal page", () => {
  it("exists only in demo mode", async () => {
    const { loader } = await import("../../app/routes/portal");
    const args = (demoMode: boolean) =>
      ({
        request: new Request("http://localhost/portal"),
        params: {},
        context: { ...ctx(), config: { ...t.config, demoMode } },
      }) as never;
    await expect(loader(args(false))).rejects.toMatchObject({ status: 404 });
    await expect(loader(args(true))).resolves.toBeNull();
  });
});
