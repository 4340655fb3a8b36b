import { addDays, isCalendarDate, parisDate } from "../lifecycle/paris-time";

/** Filters of the funnel page and its export, from the query string; anything malformed falls back. */
export function parseFunnelFilters(params: URLSearchParams, now = new Date()) {
  const today = parisDate(now);
  const from = params.get("from");
  const to = params.get("to");
  const department = params.get("department");
  const wave = params.get("wave");
  return {
    department: department && /^[0-9AB]{2,3}$/.test(department) ? department : null,
    waveId: wave && /^\d{1,12}$/.test(wave) ? Number(wave) : null,
    from: isCalendarDate(from) ? from : addDays(today, -55),
    to: isCalendarDate(to) ? to : today,
  };
}
