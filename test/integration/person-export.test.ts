import { randomBytes } from "node:crypto";
import type { LoaderFunctionArgs } from "@remix-run/node";
import { describe, expect, it } from "vitest";
import type { Role } from "../../app/domain/auth/permissions";
import { createSession, sessionCookie } from "../../app/domain/auth/session.server";
import { formatNir } from "../../app/domain/persons/nir";
import {
  collectPersonData,
  exportPersonData,
  PERSON_DATA_LEGAL_BASIS,
  PERSON_DATA_TITLE,
} from "../../app/domain/persons/person-data.server";
import { loader as jsonLoader } from "../../app/routes/persons.$personId.export[.]json";
import { loader as pdfLoader } from "../../app/routes/persons.$personId.export[.]pdf";
import { createUser } from "../../cli/seed/users";
import { type PersonDataDocument, renderPersonDataPdf } from "../../reports/person-data-pdf";
import { setupTestDatabase } from "../setup/database";
import { HEADER, nirOf, rollFile, row, runImport } from "./rolls-support";
import { pdfPages } from "./waves-support";

const t = setupTestDatabase();

const ACTOR = { userId: null, label: "superviseur@exemple.fr", ip: "127.0.0.1" };

/**
 * One person with a fact in every table the export reads: two rolls (the second changes the e-mail), a
 * wave notification with its provisional code (a known hash) and a bounce, a code reset, lifecycle and
 * paper-opposition events, a portal event, a helpline case with a note, and a view of the person page.
 */
async function seedPerson(n: number) {
  const first = await runImport(
    t.db,
    rollFile(`${HEADER}\n${row(n, { email: "helene.lefevre@exemple.fr", phone: "0611223344" })}\n`),
  );
  expect(first.inserted).toBe(1);
  const second = await runImport(
    t.db,
    rollFile(`${HEADER}\n${row(n, { email: "h.lefevre@exemple.fr", phone: "0611223344" })}\n`),
  );
  expect(second.updated).toBe(1);
  const person = await t.db
    .selectFrom("person")
    .select("id")
    .where("nir", "=", nirOf(n))
    .executeTakeFirstOrThrow();
  const personId = person.id;
  const db = t.ownerDb;
  const wave = await db
    .insertInto("wave")
    .values({ name: "Vague de test", segment: "{}", settings: "{}" })
    .returning("id")
    .executeTakeFirstOrThrow();
  const member = await db
    .insertInto("wave_member")
    .values({
      wave_id: wave.id,
      person_id: personId,
      channel: "email",
      status: "sent",
      email_sent_at: new Date("2026-02-02T09:00:00Z"),
      bounced_at: new Date("2026-02-02T09:05:00Z"),
    })
    .returning("id")
    .executeTakeFirstOrThrow();
  const codeHash = randomBytes(32).toString("hex");
  await db
    .insertInto("provisional_code")
    .values({
      person_id: personId,
      wave_id: wave.id,
      code_hash: codeHash,
      expires_at: new Date("2026-03-31T21:59:59Z"),
      revoked_at: new Date("2026-02-10T10:00:00Z"),
      revoked_reason: "reset",
    })
    .execute();
  await db
    .insertInto("email_event")
    .values({
      event_id: `brevo:evt-${n}`,
      provider: "brevo",
      kind: "hard_bounce",
      occurred_at: new Date("2026-02-02T09:05:00Z"),
      member_id: member.id,
      recipient_domain: "exemple.fr",
      matched: true,
      details: "{}",
    })
    .execute();
  await db
    .insertInto("person_event")
    .values([
      {
        person_id: personId,
        type: "notify",
        at: new Date("2026-02-02T09:00:00Z"),
        source: "job",
        wave_id: wave.id,
        from_state: "pending",
        to_state: "notified",
      },
      {
        person_id: personId,
        type: "oppose",
        at: new Date("2026-02-20T08:00:00Z"),
        source: "mail",
        from_state: "notified",
        to_state: "opposed",
        details: JSON.stringify({ file: "oppositions-fevrier.csv" }),
      },
    ])
    .execute();
  await db
    .insertInto("portal_event")
    .values({
      event_id: `portal-${n}`,
      payload_hash: "x",
      type: "activation",
      person_id: personId,
      at: new Date("2026-02-15T12:00:00Z"),
      status: "refused",
      code: "not_allowed",
      reason: "transition refusée",
    })
    .execute();
  const agentId = await createUser(t.db, {
    email: `agent${n}@exemple.fr`,
    name: `Agent ${n}`,
    password: "correct-horse-battery",
    roles: ["helpline_agent"],
  });
  const queue = await db
    .insertInto("helpline_queue")
    .values({ code: `T${n}`, name: `File de test ${n}` })
    .returning("id")
    .executeTakeFirstOrThrow();
  const helplineCase = await db
    .insertInto("helpline_case")
    .values({
      type: "code_reset",
      origin: "agent",
      queue_id: queue.id,
      priority: 1,
      person_id: personId,
      subject: "Code perdu",
      assigned_user_id: agentId,
    })
    .returning("id")
    .executeTakeFirstOrThrow();
  await db
    .insertInto("helpline_case_history")
    .values({
      case_id: helplineCase.id,
      kind: "note",
      details: JSON.stringify({ text: "Appelle pour un code perdu, rappel demandé." }),
    })
    .execute();
  await db
    .insertInto("helpline_code_reset")
    .values({
      person_id: personId,
      case_id: helplineCase.id,
      user_id: agentId,
      channel: "sms",
      at: new Date("2026-02-10T10:00:00Z"),
    })
    .execute();
  await db
    .insertInto("audit_log")
    .values({
      actor_label: "conseiller@exemple.fr",
      action: "person.viewed",
      object_type: "person",
      object_id: String(personId),
      details: JSON.stringify({ nirShown: false }),
    })
    .execute();
  return { personId, codeHash, caseId: helplineCase.id, rollIds: [first.rollId, second.rollId] };
}

function sectionOf(doc: PersonDataDocument, key: string) {
  const found = doc.sections.find((s) => s.key === key);
  if (!found) throw new Error(`no section ${key}`);
  return found;
}

async function exportJson(personId: number): Promise<{ text: string; doc: PersonDataDocument }> {
  const file = await exportPersonData(t.db, ACTOR, { personId, format: "json" });
  if (!file || typeof file.body !== "string") throw new Error("no JSON export");
  return { text: file.body, doc: JSON.parse(file.body) as PersonDataDocument };
}

describe("a person's data on request (RGPD art. 15)", () => {
  it("holds every section with the seeded facts, and never a code hash", async () => {
    const seeded = await seedPerson(41);
    const { text, doc } = await exportJson(seeded.personId);
    expect(doc.title).toBe(PERSON_DATA_TITLE);
    expect(doc.legalBasis).toBe(PERSON_DATA_LEGAL_BASIS);
    expect(doc.generatedBy).toBe(ACTOR.label);
    expect(doc.sections.map((s) => s.key)).toEqual([
      "identity",
      "contact_history",
      "rolls",
      "notifications",
      "email_events",
      "codes",
      "code_resets",
      "lifecycle",
      "portal_events",
      "helpline_cases",
      "helpline_notes",
      "audit",
    ]);
    for (const s of doc.sections) {
      expect(s.rows.length, s.key).toBeGreaterThan(0);
      for (const r of s.rows) expect(r, s.key).toHaveLength(s.columns.length);
    }
    const flat = (key: string) => sectionOf(doc, key).rows.flat().join(" | ");
    expect(flat("identity")).toContain("h.lefevre@exemple.fr");
    expect(flat("identity")).toContain(formatNir(nirOf(41)));
    expect(flat("contact_history")).toContain("helene.lefevre@exemple.fr");
    expect(sectionOf(doc, "rolls").rows.map((r) => r[0])).toEqual(seeded.rollIds.map((id) => `n° ${id}`));
    expect(flat("notifications")).toContain("Vague de test");
    expect(flat("email_events")).toContain("rejet définitif");
    const codeRows = sectionOf(doc, "codes").rows;
    expect(codeRows).toHaveLength(1);
    expect(codeRows[0].slice(1)).toEqual([
      expect.stringMatching(/^n° \d+$/),
      "31/03/2026 23:59",
      "—",
      "10/02/2026 11:00",
      "reset",
    ]);
    expect(flat("code_resets")).toContain("SMS");
    expect(flat("lifecycle")).toContain("fichier oppositions-fevrier.csv");
    expect(flat("portal_events")).toContain("transition refusée");
    expect(flat("helpline_cases")).toContain("Code perdu");
    expect(flat("helpline_notes")).toContain("Appelle pour un code perdu, rappel demandé.");
    expect(flat("audit")).toContain("conseiller@exemple.fr");

    // Never the code's hash, in the JSON or in the PDF's text.
    const stored = await t.db
      .selectFrom("provisional_code")
      .select("code_hash")
      .where("person_id", "=", seeded.personId)
      .executeTakeFirstOrThrow();
    expect(stored.code_hash).toBe(seeded.codeHash);
    expect(Buffer.from(text).includes(Buffer.from(seeded.codeHash))).toBe(false);
    expect(text).not.toMatch(/code_?hash|password|totp/i);
    const { pdf, pages } = await renderPersonDataPdf(doc, { compress: false });
    const pdfText = (await pdfPages(pdf)).join("\n");
    expect(pdfText).not.toContain(seeded.codeHash);
    expect(pdfText).toContain(PERSON_DATA_TITLE);
    expect(pdfText).toContain("rappel demandé.");
    expect(pdfText).toContain(`page ${pages} / ${pages}`);
    expect(pdfText.split(PERSON_DATA_LEGAL_BASIS).length - 1).toBeGreaterThanOrEqual(pages + 1);
  });

  it("audits each export (who, which person, which format), and the entry is in the next export", async () => {
    const { personId } = await seedPerson(42);
    const pdf = await exportPersonData(t.db, ACTOR, { personId, format: "pdf" });
    expect(pdf?.contentType).toBe("application/pdf");
    expect(
      Buffer.from(pdf?.body ?? "")
        .subarray(0, 5)
        .toString(),
    ).toBe("%PDF-");
    const { doc } = await exportJson(personId);
    const entries = await t.db
      .selectFrom("audit_log")
      .select(["actor_label", "object_type", "object_id", "details"])
      .where("action", "=", "person.data_exported")
      .where("object_id", "=", String(personId))
      .orderBy("id")
      .execute();
    expect(entries).toEqual([
      {
        actor_label: ACTOR.label,
        object_type: "person",
        object_id: String(personId),
        details: { format: "pdf" },
      },
      {
        actor_label: ACTOR.label,
        object_type: "person",
        object_id: String(personId),
        details: { format: "json" },
      },
    ]);
    const exports = sectionOf(doc, "audit").rows.filter((r) =>
      r[2].startsWith("Données d'un assuré exportées"),
    );
    expect(exports.map((r) => [r[1], r[4]])).toEqual([
      [ACTOR.label, "format : pdf"],
      [ACTOR.label, "format : json"],
    ]);
    // An unknown person: nothing to disclose, nothing audited.
    expect(await exportPersonData(t.db, ACTOR, { personId: personId + 1000, format: "json" })).toBeNull();
    expect(await collectPersonData(t.db, personId + 1000)).toBeNull();
    const count = await t.db
      .selectFrom("audit_log")
      .select((eb) => eb.fn.countAll<string>().as("n"))
      .where("action", "=", "person.data_exported")
      .where("object_id", "=", String(personId))
      .executeTakeFirstOrThrow();
    expect(Number(count.n)).toBe(2);
  });

  it("is granted to supervisors and admins only: the ministry viewer, the agent and the campaign manager get 403", async () => {
    const { personId } = await seedPerson(43);
    const holders = await t.db
      .selectFrom("role_permission")
      .select("role")
      .where("permission", "=", "persons:export")
      .orderBy("role")
      .execute();
    expect(holders.map((h) => h.role)).toEqual(["admin", "helpline_supervisor"]);

    const call = async (role: Role, format: "pdf" | "json") => {
      const email = `${role}-${format}@exemple.fr`;
      const userId = await createUser(t.db, {
        email,
        name: role,
        password: "correct-horse-battery",
        roles: [role],
      });
      const { token } = await createSession(
        t.db,
        { config: t.config },
        { userId, secondFactorDone: true, ip: null, userAgent: null },
      );
      const cookie = (await sessionCookie(t.config).serialize(token)).split(";")[0];
      const request = new Request(`http://localhost/persons/${personId}/export.${format}`, {
        headers: { Cookie: cookie },
      });
      const args = {
        request,
        params: { personId: String(personId) },
        context: { db: t.db, config: t.config, requestId: "test", ip: "127.0.0.1" },
      } as unknown as LoaderFunctionArgs;
      try {
        return await (format === "pdf" ? pdfLoader(args) : jsonLoader(args));
      } catch (thrown) {
        if (thrown instanceof Response) return thrown;
        throw thrown;
      }
    };
    for (const role of ["ministry_viewer", "helpline_agent", "campaign_manager"] as const) {
      for (const format of ["pdf", "json"] as const)
        expect((await call(role, format)).status, role).toBe(403);
    }
    const refusedAudit = await t.db
      .selectFrom("audit_log")
      .select("id")
      .where("action", "=", "person.data_exported")
      .where("object_id", "=", String(personId))
      .execute();
    expect(refusedAudit).toEqual([]);

    const json = await call("helpline_supervisor", "json");
    expect(json.status).toBe(200);
    expect(json.headers.get("content-type")).toBe("application/json; charset=utf-8");
    expect(json.headers.get("cache-control")).toBe("no-store");
    expect(json.headers.get("content-disposition")).toMatch(
      new RegExp(`^attachment; filename="donnees-assure-${personId}-\\d{4}-\\d{2}-\\d{2}\\.json"$`),
    );
    const body = (await json.json()) as PersonDataDocument;
    expect(body.generatedBy).toBe("helpline_supervisor-json@exemple.fr");
    const pdf = await call("admin", "pdf");
    expect(pdf.status).toBe(200);
    expect(pdf.headers.get("content-type")).toBe("application/pdf");
    expect(pdf.headers.get("cache-control")).toBe("no-store");
    expect(
      Buffer.from(await pdf.arrayBuffer())
        .subarray(0, 5)
        .toString(),
    ).toBe("%PDF-");
    const audited = await t.db
      .selectFrom("audit_log")
      .select(["actor_label", "details"])
      .where("action", "=", "person.data_exported")
      .where("object_id", "=", String(personId))
      .orderBy("id")
      .execute();
    expect(audited).toEqual([
      { actor_label: "helpline_supervisor-json@exemple.fr", details: { format: "json" } },
      { actor_label: "admin-pdf@exemple.fr", details: { format: "pdf" } },
    ]);
  });
});
