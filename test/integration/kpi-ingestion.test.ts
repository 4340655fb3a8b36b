import { sql } from "kysely";
import { describe, expect, it } from "vitest";
import { computeCampaignIndicators } from "../../app/domain/kpi/campaign.server";
import { loadDashboard } from "../../app/domain/kpi/dashboard.server";
import { importObservationFile } from "../../app/domain/kpi/ingest.server";
import { setTarget } from "../../app/domain/kpi/targets.server";
import { insertPersons } from "../factories";
import { setupTestDatabase } from "../setup/database";

const t = setupTestDatabase();
const actor = { userId: null, label: "test@mes-ops.fr" };

function csv(lines: string[]): Buffer {
  return Buffer.from(`${lines.join("\r\n")}\r\n`, "utf8");
}

async function current(indicator: string, period: string, breakdown = "") {
  return t.db
    .selectFrom("kpi_observation")
    .select(["value", "revision", "source"])
    .where("indicator_code", "=", indicator)
    .where(sql<boolean>`period = ${`${period}-01`}::date`)
    .where("breakdown", "=", breakdown)
    .where("department", "=", "")
    .executeTakeFirst();
}

describe("KPI ingestion from files", () => {
  it("records a file, then replaces a re-sent month as a new revision without counting it twice", async () => {
    const first = await importObservationFile(t.db, actor, {
      fileName: "documents-2024.csv",
      source: "upload",
      bytes: csv([
        "indicateur;periode;valeur;unite;ventilation",
        "documents_deposited;2024-01;10 000 000;nombre;hopitaux",
        "documents_deposited;2024-01;5000000;nombre;pharmacies",
        "doctors_daily_pct;2024-01;12,5;%;",
      ]),
    });
    expect(first.kind).toBe("imported");
    if (first.kind !== "imported") return;
    expect(first.result).toMatchObject({ rows: 3, created: 3, revised: 0, unchanged: 0 });
    expect(first.assumed).toBe("encodage UTF-8, séparateur « ; »");

    const second = await importObservationFile(t.db, actor, {
      fileName: "documents-2024-corrige.csv",
      source: "upload",
      bytes: csv([
        "indicateur;periode;valeur;unite;ventilation",
        "documents_deposited;2024-01;12000000;nombre;hopitaux",
        "documents_deposited;2024-01;5000000;nombre;pharmacies",
      ]),
    });
    expect(second.kind === "imported" && second.result).toMatchObject({
      created: 0,
      revised: 1,
      unchanged: 1,
    });
    expect(await current("documents_deposited", "2024-01", "hopitaux")).toEqual({
      value: 12_000_000,
      revision: 2,
      source: "upload",
    });
    const history = await t.db
      .selectFrom("kpi_observation_revision")
      .select(["value", "previous_value", "revision"])
      .where("indicator_code", "=", "documents_deposited")
      .where("breakdown", "=", "hopitaux")
      .orderBy("revision")
      .execute();
    expect(history).toEqual([
      { value: 10_000_000, previous_value: null, revision: 1 },
      { value: 12_000_000, previous_value: 10_000_000, revision: 2 },
    ]);
    // The dashboard counts January once: 12 M + 5 M.
    const model = await loadDashboard(
      t.db,
      { from: "2024-01", to: "2024-12", breakdown: "", department: "" },
      "2024-12",
    );
    expect(model.documents.years.find((y) => y.year === 2024)?.actual).toBe(17_000_000);
    const audits = await t.db
      .selectFrom("audit_log")
      .select(["action", "details"])
      .where("action", "=", "kpi.observations.import")
      .orderBy("id")
      .execute();
    expect(audits).toHaveLength(2);
    expect(audits[1].details).toMatchObject({
      revised: 1,
      unchanged: 1,
      revisions: [{ previous: 10_000_000, value: 12_000_000 }],
    });
  });

  it("reads Windows-1252 with a comma separator and French headers with accents", async () => {
    const text =
      "Indicateur,Période,Valeur,Unité,Ventilation\r\nvendors_referenced,2024-02,18,nombre,lgc\r\n";
    const bytes = Buffer.from(text, "latin1");
    const outcome = await importObservationFile(t.db, actor, {
      fileName: "editeurs.csv",
      source: "cli",
      bytes,
    });
    expect(outcome.kind).toBe("imported");
    expect(outcome.kind === "imported" && outcome.assumed).toBe("encodage Windows-1252, séparateur « , »");
  });

  it("rejects a bad file with the line, the field and the reason, and writes nothing", async () => {
    const before = await t.db
      .selectFrom("kpi_observation")
      .select((eb) => eb.fn.countAll<number>().as("n"))
      .executeTakeFirstOrThrow();
    const outcome = await importObservationFile(t.db, actor, {
      fileName: "mauvais.csv",
      source: "upload",
      bytes: csv([
        "indicateur;periode;valeur;unite;ventilation;departement",
        "documents_deposited;2024-03;1000;nombre;hopitaux;",
        "documents_inconnus;2024-03;1000;nombre;;",
        "documents_deposited;2024-13;1000;nombre;hopitaux;",
        "documents_deposited;2024-04;-5;nombre;hopitaux;",
        "documents_deposited;2024-04;12,5;nombre;hopitaux;",
        "doctors_daily_pct;2024-04;abc;%;;",
        "doctors_daily_pct;2024-04;140;%;;",
        "documents_deposited;2024-05;1000;%;hopitaux;",
        "documents_deposited;2024-05;1000;nombre;cliniques;",
        "documents_deposited;2024-05;1000;nombre;;",
        "doctors_daily_pct;2024-05;20;%;hopitaux;",
        "documents_deposited;2024-03;2000;nombre;hopitaux;",
        "doctors_daily_pct;2024-06;20;%;;31",
        "campaign_notified;2024-06;20;nombre;;31",
        "documents_deposited;2999-01;1000;nombre;hopitaux;",
        "",
      ]),
    });
    expect(outcome.kind).toBe("rejected");
    if (outcome.kind !== "rejected") return;
    expect(outcome.rejects.map((r) => [r.line, r.field])).toEqual([
      [3, "indicateur"],
      [4, "periode"],
      [5, "valeur"],
      [6, "valeur"],
      [7, "valeur"],
      [8, "valeur"],
      [9, "unite"],
      [10, "ventilation"],
      [11, "ventilation"],
      [12, "ventilation"],
      [13, "ligne"],
      [14, "departement"],
      [15, "indicateur"],
      [16, "periode"],
    ]);
    expect(outcome.rejects[0].reason).toContain("indicateur inconnu");
    expect(outcome.rejects[3].reason).toBe("un effectif doit être un nombre entier");
    expect(outcome.rejects[10].reason).toBe("même indicateur, période et ventilation qu'à la ligne 2");
    expect(outcome.rejects[12].reason).toContain("calculé par mes-ops");
    const after = await t.db
      .selectFrom("kpi_observation")
      .select((eb) => eb.fn.countAll<number>().as("n"))
      .executeTakeFirstOrThrow();
    expect(after.n).toBe(before.n);
  });

  it("refuses unreadable files with a clear message", async () => {
    const cases: Array<[string, string]> = [
      ["", "fichier vide"],
      ["indicateur;mois;montant\r\n", "colonne(s) inconnue(s) « montant »"],
      ["indicateur;periode\r\nx;2024-01\r\n", "colonne(s) obligatoire(s) absente(s) : valeur"],
      ["indicateur;periode;valeur\r\n\r\n", "aucune ligne de données"],
      ['indicateur;periode;valeur\r\n"documents_deposited;2024-01;3\r\n', "guillemet non refermé"],
    ];
    for (const [text, message] of cases) {
      const outcome = await importObservationFile(t.db, actor, {
        fileName: "x.csv",
        source: "upload",
        bytes: Buffer.from(text),
      });
      expect(outcome.kind).toBe("unreadable");
      expect(outcome.kind === "unreadable" && outcome.message).toContain(message);
    }
  });
});

describe("KPI targets", () => {
  it("supersedes a target, keeps the history and audits it", async () => {
    await t.db.transaction().execute((trx) =>
      setTarget(trx, actor, {
        indicatorCode: "documents_deposited",
        year: 2026,
        value: 420_000_000,
        note: "révision",
      }),
    );
    const rows = await t.db
      .selectFrom("kpi_target")
      .select(["value", "superseded_at"])
      .where("indicator_code", "=", "documents_deposited")
      .where("year", "=", 2026)
      .orderBy("id")
      .execute();
    expect(rows.map((r) => [r.value, r.superseded_at === null])).toEqual([
      [400_000_000, false],
      [420_000_000, true],
    ]);
    const audit = await t.db
      .selectFrom("audit_log")
      .select("details")
      .where("action", "=", "kpi.target.set")
      .executeTakeFirstOrThrow();
    expect(audit.details).toMatchObject({ previous_value: 400_000_000, value: 420_000_000 });
  });
});

describe("campaign indicators job", () => {
  it("counts events per Paris month and department, idempotently", async () => {
    const ids = await insertPersons(t.db, { count: 30, departments: ["31", "44"], state: "pending" });
    // Both bases (lifecycle rollups kept by triggers on person, or raw person_event rows) see the same moves.
    // 2024-01-31 23:30 UTC is already February in Paris.
    await sql`
      UPDATE person SET state = 'notified', state_changed_at = '2024-01-31T23:30:00Z' WHERE id = ANY(${ids})
    `.execute(t.db);
    await sql`
      INSERT INTO person_event (person_id, type, at, source, from_state, to_state)
      SELECT id, 'notify', '2024-01-31T23:30:00Z', 'job', 'pending', 'notified' FROM person WHERE id = ANY(${ids})
    `.execute(t.db);
    await sql`
      UPDATE person SET state = 'activated', state_changed_at = '2024-03-10T10:00:00Z' WHERE id = ANY(${ids.slice(0, 12)})
    `.execute(t.db);
    await sql`
      INSERT INTO person_event (person_id, type, at, source, from_state, to_state)
      SELECT id, 'activate', '2024-03-10T10:00:00Z', 'portal', 'notified', 'activated'
      FROM person WHERE id = ANY(${ids.slice(0, 12)})
    `.execute(t.db);
    const expected = [
      { indicator_code: "campaign_activated", department: "", value: 12, month: "2024-03" },
      { indicator_code: "campaign_activated", department: "31", value: 6, month: "2024-03" },
      { indicator_code: "campaign_activated", department: "44", value: 6, month: "2024-03" },
      { indicator_code: "campaign_notified", department: "", value: 30, month: "2024-02" },
      { indicator_code: "campaign_notified", department: "31", value: 15, month: "2024-02" },
      { indicator_code: "campaign_notified", department: "44", value: 15, month: "2024-02" },
    ];
    const campaignRows = () =>
      t.db
        .selectFrom("kpi_observation")
        .select([
          "indicator_code",
          "department",
          "value",
          sql<string>`to_char(period, 'YYYY-MM')`.as("month"),
        ])
        .where("source", "=", "campaign")
        .orderBy("indicator_code")
        .orderBy("department")
        .execute();
    // From the raw events first, then from the lifecycle rollups when they exist: same figures, no revision.
    const raw = await t.db
      .transaction()
      .execute((trx) => computeCampaignIndicators(trx, { basis: "person_event" }));
    expect(raw).toMatchObject({ basis: "person_event", created: 6, revised: 0 });
    expect(await campaignRows()).toEqual(expected);
    const first = await t.db.transaction().execute((trx) => computeCampaignIndicators(trx));
    expect(first.created + first.revised).toBe(0);
    const again = await t.db.transaction().execute((trx) => computeCampaignIndicators(trx));
    expect(again.created + again.revised).toBe(0);
    expect(await campaignRows()).toEqual(expected);
    const national = await loadDashboard(
      t.db,
      { from: "2024-01", to: "2024-06", breakdown: "", department: "" },
      "2024-06",
    );
    const byDept = await loadDashboard(
      t.db,
      { from: "2024-01", to: "2024-06", breakdown: "", department: "31" },
      "2024-06",
    );
    const sum = (m: typeof national) => m.funnel.monthly.reduce((a, p) => a + (p.notified ?? 0), 0);
    expect(sum(national)).toBe(30);
    expect(sum(byDept)).toBe(15);
  });

  it("leaves a month of demo figures to the demo, so France entière stays the sum of its departments", async () => {
    const ids = await insertPersons(t.db, { count: 20, departments: ["31"], state: "pending", offset: 5000 });
    await sql`
      UPDATE person SET state = 'notified', state_changed_at = '2025-05-12T10:00:00Z' WHERE id = ANY(${ids})
    `.execute(t.db);
    const demo = await t.db
      .insertInto("kpi_import")
      .values({ source: "demo", file_name: "démo", user_id: null })
      .returning("id")
      .executeTakeFirstOrThrow();
    await t.db
      .insertInto("kpi_observation")
      .values(
        (
          [
            ["", 5000],
            ["31", 1000],
            ["75", 4000],
          ] as const
        ).map(([department, value]) => ({
          indicator_code: "campaign_notified",
          period: "2025-05-01",
          breakdown: "",
          department,
          value,
          source: "demo",
          import_id: demo.id,
        })),
      )
      .execute();
    await t.db.transaction().execute((trx) => computeCampaignIndicators(trx, { from: "2025-05" }));
    const rows = await t.db
      .selectFrom("kpi_observation")
      .select(["department", "value", "source"])
      .where("indicator_code", "=", "campaign_notified")
      .where("period", "=", sql<Date>`'2025-05-01'::date`)
      .orderBy("department")
      .execute();
    expect(rows.map((r) => [r.department, Number(r.value), r.source])).toEqual([
      ["", 5000, "demo"],
      ["31", 1000, "demo"],
      ["75", 4000, "demo"],
    ]);
  });
});
