import { z } from "zod";
import type { DB } from "../../../db/connection";
import type { AuditActor } from "../audit/audit.server";
import { describeTableFormat } from "../files/table-file.server";
import { loadCatalogue } from "./catalogue.server";
import { currentParisMonth } from "./dashboard.server";
import { type ObservationReject, type RawObservation, validateObservations } from "./observation";
import { ObservationFileError, readObservationFile } from "./observation-file";
import { type RecordResult, recordObservations } from "./observations.server";

/** The outcome of a batch of figures: all recorded, or nothing and the reasons why. */
export type IngestOutcome =
  | { kind: "imported"; result: RecordResult; assumed: string | null }
  | { kind: "rejected"; rejects: ObservationReject[]; rows: number; assumed: string | null }
  | { kind: "unreadable"; message: string };

async function ingest(
  db: DB,
  actor: AuditActor,
  raws: RawObservation[],
  meta: { source: "upload" | "cli" | "api"; fileName: string | null; assumed: string | null },
): Promise<IngestOutcome> {
  const catalogue = await loadCatalogue(db);
  const { observations, rejects } = validateObservations(raws, catalogue, { month: currentParisMonth() });
  if (rejects.length > 0) return { kind: "rejected", rejects, rows: raws.length, assumed: meta.assumed };
  const result = await db
    .transaction()
    .execute((trx) =>
      recordObservations(trx, actor, { observations, source: meta.source, fileName: meta.fileName }),
    );
  return { kind: "imported", result, assumed: meta.assumed };
}

/** A CSV file (upload or CLI): read, validated line by line, recorded all-or-nothing. */
export async function importObservationFile(
  db: DB,
  actor: AuditActor,
  input: { bytes: Buffer; fileName: string; source: "upload" | "cli" },
): Promise<IngestOutcome> {
  let file: Awaited<ReturnType<typeof readObservationFile>>;
  try {
    file = await readObservationFile(input.bytes);
  } catch (error) {
    if (error instanceof ObservationFileError) return { kind: "unreadable", message: error.message };
    throw error;
  }
  const assumed = describeTableFormat(file.format);
  return ingest(db, actor, file.rows, { source: input.source, fileName: input.fileName, assumed });
}

const apiBody = z.object({
  observations: z
    .array(
      z.object({
        indicator: z.unknown(),
        period: z.unknown(),
        value: z.unknown(),
        unit: z.unknown().optional(),
        breakdown: z.unknown().optional(),
        department: z.unknown().optional(),
      }),
    )
    .min(1)
    .max(5000),
});

/** The JSON body of POST /api/kpi/observations (signature already checked by the route). */
export async function ingestApiObservations(db: DB, actor: AuditActor, body: string): Promise<IngestOutcome> {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    return { kind: "unreadable", message: "corps JSON invalide" };
  }
  const parsed = apiBody.safeParse(json);
  if (!parsed.success) {
    return {
      kind: "unreadable",
      message:
        'corps attendu : { "observations": [ { indicator, period, value, unit?, breakdown?, department? } ] } (1 à 5 000 éléments)',
    };
  }
  const raws = parsed.data.observations.map((o, i) => ({ line: i + 1, ...o }));
  return ingest(db, actor, raws, { source: "api", fileName: null, assumed: null });
}

export function describeReject(r: ObservationReject, unit = "ligne"): string {
  return `${unit} ${r.line}, ${r.field}${r.value ? ` « ${r.value} »` : ""} : ${r.reason}`;
}
