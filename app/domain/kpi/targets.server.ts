import type { DB } from "../../../db/connection";
import { type AuditActor, writeAudit } from "../audit/audit.server";
import { DomainError } from "../domain-error";

/** The target is refused; the form shows it on its value field. */
export class TargetRefused extends DomainError {
  constructor(message: string) {
    super("invalid", message, { field: "value" });
  }
}

/**
 * Sets the target of an indicator for a year: the current one (if any) is superseded, not overwritten, so
 * the history of targets stays readable. Call inside a transaction.
 */
export async function setTarget(
  trx: DB,
  actor: AuditActor,
  input: { indicatorCode: string; year: number; value: number; note: string },
): Promise<{ id: number; previous: number | null }> {
  const indicator = await trx
    .selectFrom("kpi_indicator")
    .select(["code", "unit"])
    .where("code", "=", input.indicatorCode)
    .executeTakeFirst();
  if (!indicator) throw new TargetRefused(`indicateur inconnu : ${input.indicatorCode}`);
  if (indicator.unit === "percent" && input.value > 100)
    throw new TargetRefused("une cible en % ne peut dépasser 100");
  const current = await trx
    .selectFrom("kpi_target")
    .select(["id", "value"])
    .where("indicator_code", "=", input.indicatorCode)
    .where("year", "=", input.year)
    .where("superseded_at", "is", null)
    .forUpdate()
    .executeTakeFirst();
  if (current) {
    await trx
      .updateTable("kpi_target")
      .set({ superseded_at: new Date() })
      .where("id", "=", current.id)
      .execute();
  }
  const inserted = await trx
    .insertInto("kpi_target")
    .values({
      indicator_code: input.indicatorCode,
      year: input.year,
      value: input.value,
      note: input.note,
      created_by: actor.userId,
    })
    .returning("id")
    .executeTakeFirstOrThrow();
  await writeAudit(trx, actor, {
    action: "kpi.target.set",
    objectType: "kpi_target",
    objectId: inserted.id,
    details: {
      indicator: input.indicatorCode,
      year: input.year,
      value: input.value,
      previous_value: current ? Number(current.value) : null,
      note: input.note,
    },
  });
  return { id: inserted.id, previous: current ? Number(current.value) : null };
}
