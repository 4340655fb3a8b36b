/** How an indicator stands against its target. */
export type TargetStatus = "on_track" | "at_risk" | "off_track";

export const AT_RISK_RATIO = 0.9;

export const STATUS_LABELS: Record<TargetStatus, string> = {
  on_track: "En bonne voie",
  at_risk: "À surveiller",
  off_track: "En retard",
};

export const STATUS_RULE =
  "Règle : valeur projetée (ou réalisée pour une année close) ≥ cible → en bonne voie ; " +
  "≥ 90 % de la cible → à surveiller ; en dessous → en retard.";

/** projection ≥ target → on track; ≥ 90 % of it → at risk; below → off track. Null without both. */
export function targetStatus(value: number | null, target: number | null): TargetStatus | null {
  if (value === null || target === null || !Number.isFinite(value) || !Number.isFinite(target)) return null;
  if (target <= 0) return "on_track";
  if (value >= target) return "on_track";
  if (value >= AT_RISK_RATIO * target) return "at_risk";
  return "off_track";
}

/** Share of the target reached (0.87 → 87 %), null without a target. */
export function attainment(value: number | null, target: number | null): number | null {
  if (value === null || target === null || target <= 0) return null;
  return value / target;
}
