import { existsSync } from "node:fs";
import path from "node:path";
import type PgBoss from "pg-boss";
import { describe, expect, it } from "vitest";
import { createLogger } from "../../app/config/logger.server";
import { signObservations } from "../../app/domain/kpi/api-signature";
import { reportsFolder } from "../../app/domain/kpi/reports.server";
import { SCHEDULES } from "../../app/infra/queues";
import { action } from "../../app/routes/api.kpi.observations";
import { kpiDemoSeeder } from "../../cli/seed/kpi";
import { kpiReport } from "../../jobs/kpi-report";
import { setupTestDatabase } from "../setup/database";

const t = setupTestDatabase();

function post(body: string, headers: Record<string, string>): Promise<Response> {
  const request = new Request("http://localhost/api/kpi/observations", {
    method: "POST",
    body,
    headers: { "Content-Type": "application/json", ...headers },
  });
  const context = { db: t.db, config: t.config, requestId: "test", ip: "127.0.0.1" };
  return action({ request, context, params: {} } as never) as Promise<Response>;
}

function signed(body: string, at = Math.floor(Date.now() / 1000)) {
  return {
    "X-KPI-Timestamp": String(at),
    "X-KPI-Signature": signObservations(t.config.secrets.kpiApi, at, body),
  };
}

describe("POST /api/kpi/observations", () => {
  const body = JSON.stringify({
    observations: [
      {
        indicator: "documents_deposited",
        period: "2025-05",
        value: 21_000_000,
        unit: "nombre",
        breakdown: "hopitaux",
      },
      { indicator: "doctors_daily_pct", period: "2025-05", value: "38,5", unit: "%" },
    ],
  });

  it("records signed figures, then a re-sent month as a revision", async () => {
    const res = await post(body, signed(body));
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ rows: 2, created: 2, revised: 0, unchanged: 0 });

    const corrected = JSON.stringify({
      observations: [
        { indicator: "documents_deposited", period: "2025-05", value: 22_000_000, breakdown: "hopitaux" },
      ],
    });
    const again = await post(corrected, signed(corrected));
    expect(await again.json()).toMatchObject({ rows: 1, created: 0, revised: 1 });
    const current = await t.db
      .selectFrom("kpi_observation")
      .select(["value", "revision", "source"])
      .where("indicator_code", "=", "documents_deposited")
      .where("breakdown", "=", "hopitaux")
      .execute();
    expect(current).toEqual([{ value: 22_000_000, revision: 2, source: "api" }]);
  });

  it("refuses a missing or bad signature, a skewed clock and a replay", async () => {
    expect((await post(body, {})).status).toBe(401);
    const wrong = {
      ...signed(body),
      "X-KPI-Signature": signObservations("another-secret", Math.floor(Date.now() / 1000), body),
    };
    const bad = await post(body, wrong);
    expect(bad.status).toBe(401);
    expect(await bad.json()).toEqual({ error: "signature invalide" });
    const tampered = await post(body.replace("38,5", "99"), signed(body));
    expect(tampered.status).toBe(401);
    const old = Math.floor(Date.now() / 1000) - 301;
    const skewed = await post(body, signed(body, old));
    expect(skewed.status).toBe(401);
    expect((await skewed.json()).error).toContain("± 5 minutes");
    const future = await post(body, signed(body, Math.floor(Date.now() / 1000) + 301));
    expect(future.status).toBe(401);

    const fresh = JSON.stringify({
      observations: [{ indicator: "doctors_daily_pct", period: "2025-06", value: 39 }],
    });
    const headers = signed(fresh);
    expect((await post(fresh, headers)).status).toBe(200);
    const replay = await post(fresh, headers);
    expect(replay.status).toBe(409);
  });

  it("refuses invalid figures with the item, the field and the reason, and records nothing", async () => {
    const invalid = JSON.stringify({
      observations: [
        { indicator: "doctors_daily_pct", period: "2025-07", value: 40 },
        { indicator: "documents_deposited", period: "2025-7", value: -1, breakdown: "hopitaux" },
        { indicator: "inconnu", period: "2025-07", value: 1 },
      ],
    });
    const res = await post(invalid, signed(invalid));
    expect(res.status).toBe(422);
    const json = await res.json();
    expect(json.rejects.map((r: { item: number; field: string }) => [r.item, r.field])).toEqual([
      [2, "periode"],
      [2, "valeur"],
      [3, "indicateur"],
    ]);
    expect(json.rejects[0].message).toBe(
      "élément 2, periode « 2025-7 » : période invalide (format attendu AAAA-MM, par ex. 2024-03)",
    );
    const july = await t.db
      .selectFrom("kpi_observation")
      .select("value")
      .where("indicator_code", "=", "doctors_daily_pct")
      .where((eb) => eb(eb.fn("to_char", [eb.ref("period"), eb.val("YYYY-MM")]), "=", "2025-07"))
      .execute();
    expect(july).toEqual([]);
    const notJson = "{";
    expect((await post(notJson, signed(notJson))).status).toBe(400);
  });
});

describe("kpi-report job (cron)", () => {
  it("renders the month's report with every section, archives it once, and its text reads back", async () => {
    await t.db.transaction().execute((trx) => kpiDemoSeeder.run(trx, t.config));
    const ctx = { db: t.db, config: t.config, logger: createLogger({ level: "silent" }), boss: {} as PgBoss };
    const job = { id: "1", name: "kpi-report", data: { trigger: "cron" as const, period: "2026-10" } };
    const first = await kpiReport.handle([job as PgBoss.Job<typeof job.data>], ctx);
    const second = await kpiReport.handle([job as PgBoss.Job<typeof job.data>], ctx);
    expect(first).toEqual([{ id: expect.any(Number), created: true }]);
    expect(second).toEqual([{ id: (first as Array<{ id: number }>)[0].id, created: false }]);

    expect(SCHEDULES).toContainEqual({ queue: "kpi-report", cron: "0 6 1 * *", data: { trigger: "cron" } });
    const report = await t.db.selectFrom("kpi_report").selectAll().executeTakeFirstOrThrow();
    expect(report.trigger).toBe("cron");
    const file = path.join(reportsFolder(t.config.reportsDir), report.file_name);
    expect(existsSync(file)).toBe(true);

    const pdfjs = await import("pdfjs-dist/legacy/build/pdf.mjs");
    const { readFile } = await import("node:fs/promises");
    const doc = await pdfjs.getDocument({ data: new Uint8Array(await readFile(file)), verbosity: 0 }).promise;
    expect(doc.numPages).toBe(report.pages);
    const pages: string[] = [];
    for (let i = 1; i <= doc.numPages; i++) {
      const content = await (await doc.getPage(i)).getTextContent();
      pages.push(content.items.map((it) => ("str" in it ? it.str : "")).join(" "));
    }
    const text = pages.join("\n").replace(/\s+/g, " ");
    expect(text).toContain("Rapport mensuel — octobre 2026");
    expect(text).toContain("Données de démonstration");
    expect(text).toContain("Chiffres clés");
    expect(text).toContain("400 000 000 (2026)");
    expect(text).toContain("Documents déposés par an");
    expect(text).toContain("Médecins consultant un profil patient au moins une fois par jour");
    expect(text).toContain("Éditeurs Ségur");
    expect(text).toContain("Campagne : parcours des assurés");
    expect(text).toContain("Méthode et sources");
    expect(text).toContain("moindres carrés");
    expect(text).toContain(`page ${doc.numPages} / ${doc.numPages}`);
    // Small-cell suppression: no automatic creation in February 2022 (0) prints as « < 10 », not 0.
    expect(text).toMatch(/février 2022 [\d ]+ [\d ]+ [\d ]+ < 10 /);
  });
});
