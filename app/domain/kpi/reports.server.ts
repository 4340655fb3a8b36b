import { randomBytes } from "node:crypto";
import { mkdir, readFile, rename, unlink, writeFile } from "node:fs/promises";
import path from "node:path";
import { sql } from "kysely";
import type PgBoss from "pg-boss";
import type { DB } from "../../../db/connection";
import type { Database } from "../../../db/schema";
import { renderKpiReport } from "../../../reports/kpi/report";
import type { AppConfig } from "../../config/config.server";
import { bossDb } from "../../infra/job-client.server";
import { QUEUES } from "../../infra/queues";
import { type AuditActor, writeAudit } from "../audit/audit.server";
import { addMonths } from "./catalogue";
import type { DashboardFilters, DashboardModel } from "./dashboard";
import { currentParisMonth, FIRST_MONTH, hasDemoData, loadDashboard } from "./dashboard.server";
import { kpiReportData } from "./report-data";

export interface ReportRecord {
  id: number;
  period: string;
  trigger: "cron" | "manual";
  fileName: string;
  sizeBytes: number;
  pages: number;
  generatedAt: string;
}

/** The month a report generated now covers: the last complete month. */
export function reportPeriodFor(at = new Date()): string {
  return addMonths(currentParisMonth(at), -1);
}

export function reportsFolder(reportsDir: string): string {
  return path.join(reportsDir, "kpi");
}

/**
 * The national, unfiltered model a report shows: the whole campaign up to the report's month, judged against
 * the real month in progress (a report of November made in December treats November as complete; one of
 * the month in progress says it is not).
 */
export async function reportModel(
  db: DB,
  period: string,
  now: Date = new Date(),
): Promise<{ model: DashboardModel; demo: boolean }> {
  const model = await loadDashboard(
    db,
    { from: FIRST_MONTH, to: period, breakdown: "", department: "" },
    currentParisMonth(now),
  );
  const { rows } = await sql<{ demo: boolean }>`
    SELECT EXISTS (SELECT 1 FROM kpi_observation WHERE source = 'demo') AS demo
  `.execute(db);
  return { model, demo: Boolean(rows[0]?.demo) };
}

/**
 * Renders and archives the report of a month. The cron run is idempotent: a second run for a month that
 * already has its cron report does nothing (a unique index backs this against two workers at once). A
 * manual run always archives a new file.
 */
export async function generateKpiReport(
  db: DB,
  deps: { config: Pick<AppConfig, "reportsDir"> },
  input: { period: string; trigger: "cron" | "manual"; requestedBy: number | null; compress?: boolean },
): Promise<{ report: ReportRecord; created: boolean }> {
  if (input.trigger === "cron") {
    const existing = await findCronReport(db, input.period);
    if (existing) return { report: existing, created: false };
  }
  const generatedAt = new Date();
  const { model, demo } = await reportModel(db, input.period, generatedAt);
  const { pdf, pages } = await renderKpiReport(
    kpiReportData(model, { period: input.period, generatedAt, demo }),
    { compress: input.compress },
  );
  const folder = reportsFolder(deps.config.reportsDir);
  await mkdir(folder, { recursive: true });
  const stamp = generatedAt.toISOString().replace(/[-:]/g, "").slice(0, 15);
  const fileName = `indicateurs-${input.period}-${input.trigger}-${stamp}-${randomBytes(3).toString("hex")}.pdf`;
  const target = path.join(folder, fileName);
  await writeFile(`${target}.part`, pdf);
  await rename(`${target}.part`, target);
  const inserted = await db
    .insertInto("kpi_report")
    .values({
      period: `${input.period}-01`,
      trigger: input.trigger,
      file_name: fileName,
      size_bytes: pdf.length,
      pages,
      generated_at: generatedAt,
      requested_by: input.requestedBy,
    })
    .onConflict((oc) => oc.column("period").where("trigger", "=", "cron").doNothing())
    .returning("id")
    .executeTakeFirst();
  if (!inserted) {
    // Another worker archived this month's cron report meanwhile: keep theirs.
    await unlink(target).catch(() => undefined);
    const existing = await findCronReport(db, input.period);
    if (existing) return { report: existing, created: false };
    throw new Error("rapport mensuel : conflit d'archivage inattendu");
  }
  return {
    report: {
      id: inserted.id,
      period: input.period,
      trigger: input.trigger,
      fileName,
      sizeBytes: pdf.length,
      pages,
      generatedAt: generatedAt.toISOString(),
    },
    created: true,
  };
}

const reportColumns = [
  "id",
  "trigger",
  "file_name",
  "size_bytes",
  "pages",
  "generated_at",
  sql<string>`to_char(period, 'YYYY-MM')`.as("period_text"),
] as const;

function toRecord(r: {
  id: number;
  trigger: "cron" | "manual";
  file_name: string;
  size_bytes: number;
  pages: number;
  generated_at: Date;
  period_text: string;
}): ReportRecord {
  return {
    id: r.id,
    period: r.period_text,
    trigger: r.trigger,
    fileName: r.file_name,
    sizeBytes: r.size_bytes,
    pages: r.pages,
    generatedAt: r.generated_at.toISOString(),
  };
}

async function findCronReport(db: DB, period: string): Promise<ReportRecord | null> {
  const row = await db
    .selectFrom("kpi_report")
    .select(reportColumns)
    .where("period", "=", sql<Date>`${`${period}-01`}::date`)
    .where("trigger", "=", "cron")
    .executeTakeFirst();
  return row ? toRecord(row) : null;
}

export async function listReports(
  db: DB,
  page: { limit: number; offset: number },
): Promise<{ reports: ReportRecord[]; total: number }> {
  const [rows, count] = await Promise.all([
    db
      .selectFrom("kpi_report")
      .select(reportColumns)
      .orderBy("generated_at", "desc")
      .orderBy("id", "desc")
      .limit(page.limit)
      .offset(page.offset)
      .execute(),
    db
      .selectFrom("kpi_report")
      .select((eb) => eb.fn.countAll<number>().as("n"))
      .executeTakeFirstOrThrow(),
  ]);
  return { reports: rows.map(toRecord), total: Number(count.n) };
}

export async function findReport(db: DB, id: number): Promise<ReportRecord | null> {
  const row = await db.selectFrom("kpi_report").select(reportColumns).where("id", "=", id).executeTakeFirst();
  return row ? toRecord(row) : null;
}

/** The report for the filters on screen, rendered now and not archived (the dashboard's PDF button). */
export async function renderReportForFilters(
  db: DB,
  filters: DashboardFilters,
  today: string,
): Promise<Buffer> {
  const [model, demo] = await Promise.all([loadDashboard(db, filters, today), hasDemoData(db)]);
  const { pdf } = await renderKpiReport(
    kpiReportData(model, { period: filters.to, generatedAt: new Date(), demo }),
  );
  return pdf;
}

/** The bytes of an archived report, or null when its file is gone. */
export async function readReportFile(reportsDir: string, report: ReportRecord): Promise<Buffer | null> {
  const file = path.join(reportsFolder(reportsDir), path.basename(report.fileName));
  return readFile(file).catch(() => null);
}

/**
 * Asks the worker for a report now (kpi-report queue). A double click within a minute adds nothing
 * (singleton key per user); returns false then.
 */
export async function requestReport(
  db: DB,
  deps: { boss: PgBoss },
  actor: AuditActor,
  params: { period: string },
): Promise<boolean> {
  const { period } = params;
  return db.transaction().execute(async (trx) => {
    const id = await deps.boss.send(
      QUEUES.kpiReport,
      { trigger: "manual", period, requestedBy: actor.userId },
      { singletonKey: `manual:${actor.userId ?? "system"}`, singletonSeconds: 60, db: bossDb<Database>(trx) },
    );
    if (id) {
      await writeAudit(trx, actor, {
        action: "kpi.report.request",
        objectType: "kpi_report",
        details: { period, job: id },
      });
    }
    return Boolean(id);
  });
}
