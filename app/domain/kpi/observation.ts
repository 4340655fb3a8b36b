import { excelNumberMessage } from "../files/excel-values";
import { type Indicator, isDepartmentCode, parsePeriod, parseUnit, UNIT_LABELS } from "./catalogue";
import { parseFrenchNumber } from "./format";

/** A figure as received (file line or API item), before validation. */
export interface RawObservation {
  /** File line number (header = 1) or API item index (from 1). */
  line: number;
  indicator?: unknown;
  period?: unknown;
  value?: unknown;
  unit?: unknown;
  breakdown?: unknown;
  department?: unknown;
}

/** A validated figure: the key (indicator, month, breakdown, department) and its value. */
export interface Observation {
  indicatorCode: string;
  /** YYYY-MM */
  period: string;
  /** '' when the indicator has no breakdown. */
  breakdown: string;
  /** '' for the whole country. */
  department: string;
  value: number;
}

export interface ObservationReject {
  line: number;
  field: "indicateur" | "periode" | "valeur" | "unite" | "ventilation" | "departement" | "ligne";
  value: string;
  reason: string;
}

export function observationKey(
  o: Pick<Observation, "indicatorCode" | "period" | "breakdown" | "department">,
): string {
  return `${o.indicatorCode}|${o.period}|${o.breakdown}|${o.department}`;
}

function text(v: unknown): string {
  if (v === undefined || v === null) return "";
  return typeof v === "number" ? String(v) : String(v).trim();
}

/**
 * Checks every figure against the catalogue; the batch is accepted only when `rejects` is empty (a batch is
 * all-or-nothing). The same key twice in one batch is refused: which one would be meant?
 */
export function validateObservations(
  raws: RawObservation[],
  catalogue: Indicator[],
  now: { month: string },
): { observations: Observation[]; rejects: ObservationReject[] } {
  const byCode = new Map(catalogue.map((i) => [i.code, i]));
  const observations: Observation[] = [];
  const rejects: ObservationReject[] = [];
  const seen = new Map<string, number>();
  for (const raw of raws) {
    const before = rejects.length;
    const reject = (field: ObservationReject["field"], value: string, reason: string) =>
      rejects.push({ line: raw.line, field, value, reason });
    const code = text(raw.indicator);
    const indicator = byCode.get(code);
    if (!code) reject("indicateur", code, "indicateur manquant");
    else if (!indicator)
      reject(
        "indicateur",
        code,
        `indicateur inconnu (attendu : ${catalogue
          .filter((i) => !i.computed)
          .map((i) => i.code)
          .join(", ")})`,
      );
    else if (indicator.computed)
      reject("indicateur", code, "indicateur calculé par mes-ops : il ne peut pas être importé");

    const periodText = text(raw.period);
    const period = parsePeriod(periodText);
    if (!period && typeof raw.period === "number")
      reject("periode", periodText, excelNumberMessage(periodText, "une période AAAA-MM attendue"));
    else if (!period)
      reject("periode", periodText, "période invalide (format attendu AAAA-MM, par ex. 2024-03)");
    else if (period > now.month)
      reject("periode", periodText, "période future : le mois n'est pas encore commencé");

    const valueText = text(raw.value);
    const value = typeof raw.value === "number" ? raw.value : parseFrenchNumber(valueText);
    if (!valueText) reject("valeur", valueText, "valeur manquante");
    else if (value === null || !Number.isFinite(value))
      reject("valeur", valueText, "valeur non numérique (ex. 1234 ou 12,5)");
    else if (value < 0) reject("valeur", valueText, "valeur négative");
    else if (indicator?.unit === "percent" && value > 100)
      reject("valeur", valueText, "pourcentage supérieur à 100");
    else if (indicator?.unit === "count" && !Number.isInteger(value))
      reject("valeur", valueText, "un effectif doit être un nombre entier");

    const unitText = text(raw.unit);
    if (unitText && indicator) {
      const unit = parseUnit(unitText);
      if (!unit) reject("unite", unitText, "unité inconnue (attendu : nombre ou %)");
      else if (unit !== indicator.unit)
        reject(
          "unite",
          unitText,
          `unité incohérente : l'indicateur se mesure en ${UNIT_LABELS[indicator.unit]}`,
        );
    }

    const breakdown = text(raw.breakdown);
    if (indicator) {
      if (indicator.breakdowns.length > 0 && !breakdown)
        reject(
          "ventilation",
          breakdown,
          `ventilation obligatoire (${indicator.breakdownLabel ?? "ventilation"} : ${indicator.breakdowns.map((b) => b.code).join(", ")})`,
        );
      else if (indicator.breakdowns.length === 0 && breakdown)
        reject("ventilation", breakdown, "cet indicateur n'a pas de ventilation : laissez la colonne vide");
      else if (breakdown && !indicator.breakdowns.some((b) => b.code === breakdown))
        reject(
          "ventilation",
          breakdown,
          `valeur de ventilation inconnue (attendu : ${indicator.breakdowns.map((b) => b.code).join(", ")})`,
        );
    }

    const department = text(raw.department).toUpperCase();
    if (department && !isDepartmentCode(department))
      reject("departement", department, "code département inconnu (ex. 31, 2A, 974)");
    else if (department && indicator && !indicator.byDepartment)
      reject(
        "departement",
        department,
        "cet indicateur n'est pas suivi par département : laissez la colonne vide",
      );

    if (rejects.length > before || !indicator || !period || value === null) continue;
    const observation: Observation = { indicatorCode: indicator.code, period, breakdown, department, value };
    const key = observationKey(observation);
    const first = seen.get(key);
    if (first !== undefined) {
      reject(
        "ligne",
        `${code} ${period} ${breakdown}`.trim(),
        `même indicateur, période et ventilation qu'à la ligne ${first}`,
      );
      continue;
    }
    seen.set(key, raw.line);
    observations.push(observation);
  }
  return { observations, rejects };
}
