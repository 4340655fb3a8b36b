import { addDays } from "../lifecycle/paris-time";
import { agentsNeeded, trafficErlangs } from "./erlang-c";
import { isWorkingDay, MINUTES_PER_DAY } from "./working-time";

/** Settings of the staffing forecast (app_setting `helpline.forecast`). */
export interface ForecastSettings {
  /** Calls to the 34 22 per notification sent (configured). */
  callRate: number;
  /** Use the observed ratio of cases to notifications once there is enough data. */
  calibrate: boolean;
  ahtSeconds: number;
  targetSeconds: number;
  /** e.g. 0.8 for 80 % answered within targetSeconds. */
  targetServiceLevel: number;
  /** Busiest hour's calls ÷ an average hour's calls (1 = calls spread evenly over the opening hours). */
  peakFactor: number;
}

export const DEFAULT_FORECAST_SETTINGS: ForecastSettings = {
  callRate: 0.02,
  calibrate: true,
  ahtSeconds: 360,
  targetSeconds: 20,
  targetServiceLevel: 0.8,
  peakFactor: 1,
};

/**
 * When the calls caused by one day's notifications arrive, in working days from the first working day on
 * or after the notification (sums to 1): most people call within the first week after the letter.
 */
export const CALL_LAG_PROFILE = [0.3, 0.22, 0.15, 0.11, 0.08, 0.06, 0.04, 0.02, 0.01, 0.01];

/** Observed calibration: used only past these volumes, so that a handful of cases does not swing it. */
export const CALIBRATION_MIN_NOTIFICATIONS = 1000;
export const CALIBRATION_MIN_CASES = 30;

export function effectiveCallRate(
  settings: ForecastSettings,
  observed: { cases: number; notifications: number },
): { rate: number; source: "observed" | "configured" } {
  if (
    settings.calibrate &&
    observed.notifications >= CALIBRATION_MIN_NOTIFICATIONS &&
    observed.cases >= CALIBRATION_MIN_CASES
  ) {
    return { rate: observed.cases / observed.notifications, source: "observed" };
  }
  return { rate: settings.callRate, source: "configured" };
}

export interface ForecastDay {
  date: string;
  working: boolean;
  notifications: number;
  calls: number;
  traffic: number;
  agentsNeeded: number;
  rostered: number | null;
}

/**
 * Calls per day = Σ notifications of earlier days × call rate × lag profile (over working days only);
 * agents needed = Erlang C for the day's traffic over the opening hours (× the peak factor).
 * `notifications` holds past and scheduled volumes by Paris date; past days feed the first days' calls.
 */
export function forecastStaffing(params: {
  from: string;
  days: number;
  notifications: ReadonlyMap<string, number>;
  callRate: number;
  settings: ForecastSettings;
  roster: ReadonlyMap<string, number>;
}): ForecastDay[] {
  const { from, days, settings } = params;
  const calls = new Map<string, number>();
  const end = addDays(from, days - 1);
  for (const [date, count] of params.notifications) {
    if (count <= 0) continue;
    let day = date;
    let guard = 0;
    while (!isWorkingDay(day) && guard++ < 30) day = addDays(day, 1);
    for (const share of CALL_LAG_PROFILE) {
      if (day > end) break;
      calls.set(day, (calls.get(day) ?? 0) + count * params.callRate * share);
      day = addDays(day, 1);
      guard = 0;
      while (!isWorkingDay(day) && guard++ < 30) day = addDays(day, 1);
    }
  }
  const out: ForecastDay[] = [];
  for (let i = 0; i < days; i++) {
    const date = addDays(from, i);
    const working = isWorkingDay(date);
    const dayCalls = working ? Math.round(calls.get(date) ?? 0) : 0;
    const traffic = trafficErlangs(dayCalls, settings.ahtSeconds, MINUTES_PER_DAY * 60) * settings.peakFactor;
    out.push({
      date,
      working,
      notifications: params.notifications.get(date) ?? 0,
      calls: dayCalls,
      traffic,
      agentsNeeded: agentsNeeded(
        traffic,
        settings.ahtSeconds,
        settings.targetSeconds,
        settings.targetServiceLevel,
      ),
      rostered: params.roster.get(date) ?? null,
    });
  }
  return out;
}
