import { createWriteStream, existsSync, mkdirSync, renameSync, writeFileSync } from "node:fs";
import path from "node:path";
import { sql } from "kysely";
import type { DB } from "../../../db/connection";
import { type LetterData, renderLetters } from "../../../reports/letters/letter";
import { manifestCsv } from "../../../reports/letters/manifest";
import type { AppConfig } from "../../config/config.server";
import { codeExpiry, windowEnd } from "../lifecycle/window";
import { membersToDeliver, reissueLost, statedWindowEnd } from "./batch-codes.server";
import type { DispatchDeps, RunOptions } from "./batch-run.server";
import { advance, type Batch } from "./batch-state.server";
import { notifyMembers } from "./notify.server";
import { batchLabel, letterNotifiedAt, type WaveSettings } from "./wave";

/**
 * A letter batch's two steps after its codes are stored: `codes_stored → rendered`, one PDF of the letters
 * and its manifest CSV (the print house's presort order) written under `PRINT_DIR/.staging` to temp names and
 * renamed; then `rendered → handed_off`, the files moved into the print house's drop folder
 * (`PRINT_DIR/vague-N/`, `PRINT_DIR/unitaires/` for single notifications) and the members notified at
 * hand-off + postal delay. Only a `rendered` batch is handed off, so a PDF written before a crash is
 * replaced, never sent.
 */

function batchPaths(
  config: AppConfig,
  batch: Batch,
): { staging: string; dropDir: string; pdf: string; csv: string } {
  const label = batchLabel(batch);
  return {
    staging: path.join(config.printDir, ".staging"),
    dropDir: path.join(config.printDir, batch.wave_id == null ? "unitaires" : `vague-${batch.wave_id}`),
    pdf: `lot-${label}.pdf`,
    csv: `lot-${label}.csv`,
  };
}

/** codes_stored → rendered (letters): one PDF + manifest, written to a temp name then renamed. */
export async function renderLetterBatch(
  db: DB,
  deps: DispatchDeps,
  batch: Batch,
  owner: string,
  settings: WaveSettings,
  memory: Map<number, string> | null,
  crashAt: RunOptions["crashAt"],
): Promise<void> {
  let members = await membersToDeliver(db, batch.id);
  let codes = memory;
  if (!codes) {
    codes = await reissueLost(db, deps, batch, owner, settings, members);
    members = await membersToDeliver(db, batch.id);
  }
  const renderedAt = new Date();
  const notifiedAt = letterNotifiedAt(renderedAt, settings.postalDelayDays);
  const estimate = windowEnd(notifiedAt, settings.windowDays);
  const p = batchPaths(deps.config, batch);
  mkdirSync(p.staging, { recursive: true });
  const label = batchLabel(batch);
  const letters: LetterData[] = [];
  for (const m of members) {
    const code = codes.get(m.id);
    // A member without a clear code in memory would print a code whose hash is not its stored one: refuse.
    if (!code) throw new Error(`lot ${label} : code manquant pour un destinataire`);
    const end = statedWindowEnd(batch, m, estimate);
    letters.push({
      sequence: m.sequence ?? 0,
      firstName: m.first_name,
      lastName: m.last_name,
      addressLine: m.address_line,
      postalCode: m.postal_code,
      city: m.city,
      code,
      windowEnd: end,
      codeExpiresAt: codeExpiry(end, deps.config.codeGraceDays),
    });
  }
  const pdfTmp = path.join(p.staging, `${p.pdf}.${owner}.tmp`);
  await renderLetters(
    { batchLabel: label, issuedAt: renderedAt },
    letters,
    createWriteStream(pdfTmp, { mode: 0o600 }),
  );
  renameSync(pdfTmp, path.join(p.staging, p.pdf));
  const csvTmp = path.join(p.staging, `${p.csv}.${owner}.tmp`);
  writeFileSync(
    csvTmp,
    manifestCsv(
      members.map((m) => ({
        batch: label,
        sequence: m.sequence ?? 0,
        name: `${m.first_name} ${m.last_name}`,
        addressLine: m.address_line,
        postalCode: m.postal_code,
        city: m.city,
      })),
    ),
    { mode: 0o600 },
  );
  renameSync(csvTmp, path.join(p.staging, p.csv));
  if (crashAt) await crashAt("pdf_written");
  await db.transaction().execute(async (trx) => {
    await sql`
      UPDATE wave_member SET status = 'rendered', rendered_at = ${renderedAt}, updated_at = now()
      WHERE batch_id = ${batch.id} AND status = 'planned'
    `.execute(trx);
    await advance(trx, batch, owner, "codes_stored", "rendered", {
      pdf_path: path.join(p.dropDir, p.pdf),
      manifest_path: path.join(p.dropDir, p.csv),
      rendered_at: renderedAt,
    });
  });
  batch.rendered_at = renderedAt;
}

/** rendered → handed_off: files move into the print house's drop folder, members are notified. */
export async function handOff(
  db: DB,
  deps: DispatchDeps,
  batch: Batch,
  owner: string,
  settings: WaveSettings,
): Promise<void> {
  const p = batchPaths(deps.config, batch);
  mkdirSync(p.dropDir, { recursive: true });
  for (const name of [p.pdf, p.csv]) {
    const from = path.join(p.staging, name);
    const to = path.join(p.dropDir, name);
    if (existsSync(from)) renameSync(from, to);
    else if (!existsSync(to)) throw new Error(`fichier ${name} introuvable pour la remise à l'imprimeur`);
  }
  const renderedAt = batch.rendered_at ?? new Date();
  const notifiedAt = letterNotifiedAt(renderedAt, settings.postalDelayDays);
  await db.transaction().execute(async (trx) => {
    const members = await trx
      .selectFrom("wave_member")
      .select("id")
      .where("batch_id", "=", batch.id)
      .where("status", "=", "rendered")
      .execute();
    await notifyMembers(trx, {
      waveId: batch.wave_id,
      batchId: batch.id,
      channel: "letter",
      members: members.map((m) => ({ memberId: m.id, notifiedAt })),
      windowDays: settings.windowDays,
      codeGraceDays: deps.config.codeGraceDays,
      at: new Date(),
      memberStatus: "handed_off",
      keepWindowOfNotified: batch.kind === "single",
    });
    await advance(trx, batch, owner, "rendered", "handed_off");
  });
}
