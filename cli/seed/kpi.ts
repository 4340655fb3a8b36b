import { sql } from "kysely";
import { addMonths, DEPARTMENTS, KPI, monthRange } from "../../app/domain/kpi/catalogue";
import { currentParisMonth } from "../../app/domain/kpi/dashboard.server";
import { upsertObservations } from "../../app/domain/kpi/observations.server";
import { monthsBetween } from "../../app/domain/kpi/projection";
import type { Seeder } from "./seeder";

/**
 * Demo KPI series, 2022-01 → the current month, every indicator and breakdown, marked as source `demo`
 * (the dashboard and the report then say « données de démonstration » and label each demo series « démo »).
 * Where a figure is published (kpi_reference) the demo does not invent it: the documents' months add up to
 * the published totals, the activated stock follows the published points, 1.48 % oppose; only the split
 * over months, sectors and departments, and the series with no public figure (doctors, vendors,
 * connections by channel, helpline), are generated. Deterministic (no randomness), so two seeds agree.
 */
const START = "2022-01";

const DOCUMENT_SHARES: Record<string, number> = {
  hopitaux: 0.45,
  laboratoires: 0.3,
  medecins_ville: 0.1,
  radiologie: 0.08,
  pharmacies: 0.07,
};
const SOFTWARE_SHARES: Record<string, number> = { dpi: 0.3, lgc: 0.3, sgl: 0.15, ris: 0.1, lgo: 0.15 };

function logistic(t: number, max: number, mid: number, width: number): number {
  return max / (1 + Math.exp(-(t - mid) / width));
}

/** A gentle deterministic wiggle (±amplitude), different per series. */
function wiggle(t: number, salt: number, amplitude: number): number {
  return 1 + amplitude * Math.sin(t * 1.7 + salt) * Math.cos(t * 0.6 + salt * 2);
}

/** Department weights: big departments get more (Paris, Nord, Bouches-du-Rhône…), overseas fewer. */
function departmentWeights(): Map<string, number> {
  const big: Record<string, number> = {
    "75": 6,
    "59": 7,
    "13": 5,
    "69": 5,
    "92": 4.5,
    "93": 4.5,
    "33": 4,
    "31": 3.5,
    "44": 3.5,
    "62": 4,
    "94": 4,
    "78": 4,
    "06": 3.2,
  };
  const raw = DEPARTMENTS.map(
    (d, i) => [d, big[d] ?? (d.length === 3 ? 0.6 : 0.4 + ((i * 37) % 100) / 60)] as const,
  );
  const sum = raw.reduce((a, [, w]) => a + w, 0);
  return new Map(raw.map(([d, w]) => [d, w / sum]));
}

/** Persons notified during the national generalisation (DESIGN §1: about 65 million). */
export const NATIONAL_NOTICES = 65_000_000;
/** Share of a notice's persons who oppose within the six weeks (1.48 % after the February–March notices). */
export const OPPOSITION_RATE = 0.0148;
/** Share who activate their space within the six weeks (the rest is created automatically). */
export const WINDOW_ACTIVATION_RATE = 0.08;
/** Days between a notice and its automatic creation (six weeks). */
export const WINDOW_DAYS = 42;
/** Share of the spaces that exist that are closed in a month. */
const MONTHLY_CLOSURE_RATE = 0.00015;
/**
 * Published stock of activated spaces (end of month, DESIGN §1: 7.2 M in October 2022 … 24 M in January
 * 2026), which the activations of spaces created earlier follow; afterwards the last pace goes on.
 */
const ACTIVATED_STOCK: Array<[string, number]> = [
  ["2022-10", 7_200_000],
  ["2023-02", 7_900_000],
  ["2023-09", 9_200_000],
  ["2024-12", 17_000_000],
  ["2025-10", 23_000_000],
  ["2026-01", 24_000_000],
];
const LATER_MONTHLY_ACTIVATIONS = 330_000;

const DAY_MS = 86_400_000;
const dayIndex = (iso: string) => Math.round(Date.parse(`${iso}T00:00:00Z`) / DAY_MS);
const isoOfDay = (index: number) => new Date(index * DAY_MS).toISOString().slice(0, 10);

/** Working days (Monday–Friday) from `from` to `to` inclusive, as day indexes. */
function workingDays(from: string, to: string): number[] {
  const out: number[] = [];
  for (let d = dayIndex(from); d <= dayIndex(to); d++) {
    const weekday = new Date(d * DAY_MS).getUTCDay();
    if (weekday !== 0 && weekday !== 6) out.push(d);
  }
  return out;
}

/** The activated stock the series follows at the end of `period` (linear between published figures). */
function activatedStockAt(period: string, start: [string, number]): number {
  const anchors = [start, ...ACTIVATED_STOCK.filter(([p]) => p > start[0])];
  const last = anchors[anchors.length - 1];
  if (period >= last[0]) return last[1] + LATER_MONTHLY_ACTIVATIONS * monthsBetween(last[0], period);
  for (let i = 1; i < anchors.length; i++) {
    const [p1, v1] = anchors[i];
    if (period <= p1) {
      const [p0, v0] = anchors[i - 1];
      return v0 + ((v1 - v0) * monthsBetween(p0, period)) / monthsBetween(p0, p1);
    }
  }
  return last[1];
}

/**
 * The campaign as the demo tells it, per department and month (`[notified, activated, opposed,
 * auto-created, closed]`, one entry per month from 2022-01): notices every working day from 31 January to
 * 28 March 2022, department by department in increasing number order, then the newcomers once a week; of
 * each day's notices 1.48 % oppose and 8 % activate within the six weeks, the others' spaces are created
 * automatically six weeks later (so none before mid-March 2022); later, spaces created earlier are
 * activated at the pace of the published stock, and a few are closed. So every series holds with the
 * others: nobody leaves a window they did not enter, nobody is activated without a notice, and the
 * activations of a month may exceed its notifications only because they include spaces created before.
 */
export function campaignDemoSeries(lastMonth: string): Map<string, number[][]> {
  const months = monthRange(START, lastMonth);
  const first = dayIndex(`${START}-01`);
  const end = dayIndex(`${addMonths(lastMonth, 1)}-01`); // exclusive
  const span = end - first + WINDOW_DAYS + 2;
  const monthOf = new Int32Array(end - first);
  for (let d = first; d < end; d++) monthOf[d - first] = months.indexOf(isoOfDay(d).slice(0, 7));
  const weights = departmentWeights();

  // Daily notices per department: the generalisation in department order, then weekly newcomers.
  const generalisation = workingDays("2022-01-31", "2022-03-28");
  const perDay = NATIONAL_NOTICES / generalisation.length;
  const notices = new Map<string, Float64Array>();
  let before = 0;
  for (const [department, w] of weights) {
    const daily = new Float64Array(span);
    const from = before;
    const to = before + NATIONAL_NOTICES * w;
    generalisation.forEach((day, k) => {
      const overlap = Math.min(to, (k + 1) * perDay) - Math.max(from, k * perDay);
      if (overlap > 0) daily[day - first] += overlap;
    });
    before = to;
    for (let d = generalisation[generalisation.length - 1] + 1; d < end; d++) {
      if (new Date(d * DAY_MS).getUTCDay() !== 1) continue;
      const t = monthOf[d - first];
      daily[d - first] += ((60_000 + t * 300) * 12 * w * wiggle(t, w * 100, 0.05)) / 52;
    }
    notices.set(department, daily);
  }

  // Outcomes within the window, per department and month.
  type Monthly = { notified: number[]; windowActivated: number[]; opposed: number[]; autoCreated: number[] };
  const monthly = new Map<string, Monthly>();
  const windowActivatedNational = months.map(() => 0);
  for (const [department, daily] of notices) {
    const m: Monthly = {
      notified: months.map(() => 0),
      windowActivated: months.map(() => 0),
      opposed: months.map(() => 0),
      autoCreated: months.map(() => 0),
    };
    // Spread evenly over the six weeks after the notice: a running sum of the notices of the last 42 days.
    let inWindow = 0;
    for (let i = 0; i < end - first; i++) {
      if (i >= 1) inWindow += daily[i - 1];
      if (i >= WINDOW_DAYS + 1) inWindow -= daily[i - WINDOW_DAYS - 1];
      const t = monthOf[i];
      m.notified[t] += daily[i];
      m.opposed[t] += (inWindow * OPPOSITION_RATE) / WINDOW_DAYS;
      m.windowActivated[t] += (inWindow * WINDOW_ACTIVATION_RATE) / WINDOW_DAYS;
      if (i >= WINDOW_DAYS)
        m.autoCreated[t] += daily[i - WINDOW_DAYS] * (1 - OPPOSITION_RATE - WINDOW_ACTIVATION_RATE);
    }
    m.windowActivated.forEach((v, t) => {
      windowActivatedNational[t] += v;
    });
    monthly.set(department, m);
  }

  // Activations of spaces created earlier follow the published stock from June 2022 (after the windows
  // of the generalisation), shared by the departments in proportion to their spaces not yet activated.
  const startAt = months.indexOf("2022-06");
  let cumulative = 0;
  const later = months.map(() => 0);
  months.forEach((period, t) => {
    if (startAt >= 0 && t >= startAt) {
      const target = activatedStockAt(period, [months[startAt - 1], cumulativeBefore(startAt)]);
      later[t] = Math.max(0, target - cumulative - windowActivatedNational[t]);
    }
    cumulative += windowActivatedNational[t] + later[t];
  });
  function cumulativeBefore(t: number): number {
    return windowActivatedNational.slice(0, t).reduce((a, v) => a + v, 0);
  }

  const out = new Map<string, number[][]>();
  const waiting = new Map<string, number>(); // created automatically, not yet activated nor closed
  const existing = new Map<string, number>(); // spaces that exist (created or activated), not closed
  for (const department of weights.keys()) {
    waiting.set(department, 0);
    existing.set(department, 0);
    out.set(department, []);
  }
  months.forEach((_, t) => {
    const waitingTotal = [...waiting.values()].reduce((a, v) => a + v, 0);
    for (const [department, m] of monthly) {
      const share = waitingTotal > 0 ? (waiting.get(department) ?? 0) / waitingTotal : 0;
      const laterHere = Math.min(later[t] * share, waiting.get(department) ?? 0);
      const closed = (existing.get(department) ?? 0) * MONTHLY_CLOSURE_RATE;
      const activated = m.windowActivated[t] + laterHere;
      waiting.set(
        department,
        Math.max(0, (waiting.get(department) ?? 0) + m.autoCreated[t] - laterHere - closed / 2),
      );
      existing.set(
        department,
        (existing.get(department) ?? 0) + m.autoCreated[t] + m.windowActivated[t] - closed,
      );
      out
        .get(department)
        ?.push([m.notified[t], activated, m.opposed[t], m.autoCreated[t], closed].map(Math.round));
    }
  });
  return out;
}

type Row = { indicator_code: string; period: string; breakdown: string; department: string; value: number };

/** A published total of documents over a span of months (kpi_reference, breakdown ''). */
export interface PublishedTotal {
  from: string;
  to: string;
  value: number;
}

/**
 * The factor each month's demo documents are scaled by so that the months of every published total add up
 * to it exactly (the published figure is not reinvented; only its split over months and sectors is demo).
 * A month outside every span takes the factor of the latest span before it (1 before the first).
 */
export function documentScale(months: string[], curve: number[], totals: PublishedTotal[]): number[] {
  const spans = [...totals].sort((a, b) => a.from.localeCompare(b.from));
  const factors = spans.map((span) => {
    const sum = months.reduce((a, m, t) => (m >= span.from && m <= span.to ? a + curve[t] : a), 0);
    return sum > 0 ? span.value / sum : 1;
  });
  return months.map((m) => {
    let factor = 1;
    spans.forEach((span, i) => {
      if (m >= span.from) factor = factors[i];
    });
    return factor;
  });
}

export function buildDemoKpiRows(lastMonth: string, published: PublishedTotal[] = []): Row[] {
  const months = monthRange(START, lastMonth);
  const summerOf = (period: string) => {
    const month = Number(period.slice(5, 7));
    return month === 8 ? 0.82 : month === 7 ? 0.92 : month === 12 ? 0.93 : 1;
  };
  const docCurve = months.map((period, t) => logistic(t, 33_000_000, 14, 8) * summerOf(period));
  const docScale = documentScale(months, docCurve, published);
  // Whole documents per month by rounding the running total: each span's months then add up to its
  // published (whole) total exactly.
  let running = 0;
  const docMonthly = docCurve.map((v, t) => {
    const before = Math.round(running);
    running += v * docScale[t];
    return Math.round(running) - before;
  });
  const rows: Row[] = [];
  const push = (indicator_code: string, period: string, value: number, breakdown = "", department = "") =>
    rows.push({ indicator_code, period: `${period}-01`, breakdown, department, value });
  months.forEach((period, t) => {
    // Documents: ~5 M/month in January 2022 → ~25 M/month early 2024 → ~32 M/month by 2026.
    // Scaled so that the months of each published total add up to it (documentScale); the sector shares
    // sum to 1 and the wiggle is spread so that they still do.
    const docs = docMonthly[t];
    const wiggled = Object.entries(DOCUMENT_SHARES).map(
      ([source, share]) => [source, share * wiggle(t, share * 10, 0.04)] as const,
    );
    const norm = wiggled.reduce((a, [, w]) => a + w, 0);
    let left = docs;
    wiggled.forEach(([source, w], i) => {
      const value = i === wiggled.length - 1 ? left : Math.round((docs * w) / norm);
      left -= value;
      push(KPI.documents, period, value, source);
    });
    // Connections per month (no public monthly figure by channel): web, and the app taking over.
    const connections = 1_200_000 + logistic(t, 5_500_000, 30, 10);
    const appShare = Math.min(0.65, 0.15 + t * 0.01);
    push(KPI.connections, period, Math.round(connections * (1 - appShare) * wiggle(t, 7, 0.03)), "web");
    push(KPI.connections, period, Math.round(connections * appShare * wiggle(t, 9, 0.03)), "app");
    // Doctors consulting daily: ~5 % → ~45 %.
    push(KPI.doctorsPct, period, Math.round((3 + logistic(t, 44, 30, 11)) * wiggle(t, 3, 0.02) * 10) / 10);
    // Ségur vendors: 18 referenced / 85 in progress in February 2022, referencing catching up.
    const referenced = 18 + 80 * (1 - Math.exp(-Math.max(0, t - 1) / 22));
    const total = 103 + t * 0.2;
    const inProgress = Math.max(4, total - referenced);
    for (const [category, share] of Object.entries(SOFTWARE_SHARES)) {
      push(KPI.vendorsReferenced, period, Math.round(referenced * share), category);
      push(KPI.vendorsInProgress, period, Math.round(inProgress * share), category);
    }
  });

  // Campaign: a cohort model of the national generalisation (campaignDemoSeries), per department; the
  // national row is the sum of the departments (as the kpi-campaign job writes it).
  const campaign = campaignDemoSeries(lastMonth);
  const codes = [KPI.notified, KPI.activated, KPI.opposed, KPI.autoCreated, KPI.closed] as const;
  monthRange(START, lastMonth).forEach((period, t) => {
    const totals = codes.map(() => 0);
    for (const [department, series] of campaign) {
      codes.forEach((code, i) => {
        const value = series[t][i];
        totals[i] += value;
        push(code, period, value, "", department);
      });
    }
    totals.forEach((total, i) => {
      push(codes[i], period, total);
    });
    const cases =
      period === "2022-02"
        ? 450_000
        : period === "2022-03"
          ? 620_000
          : period === "2022-04"
            ? 300_000
            : 70_000 + (t % 6) * 4_000;
    push(KPI.helplineCases, period, cases);
  });
  return rows;
}

export const kpiDemoSeeder: Seeder = {
  name: "kpi-demo",
  async run(db) {
    const lastMonth = currentParisMonth();
    // The published totals of documents (seeded by migration): the demo spreads them, it does not invent them.
    const { rows: published } = await sql<PublishedTotal>`
      SELECT to_char(period_from, 'YYYY-MM') AS "from", to_char(period_to, 'YYYY-MM') AS "to", value::float8 AS value
      FROM kpi_reference
      WHERE indicator_code = ${KPI.documents} AND nature = 'figure' AND breakdown = '' AND kind = 'published'`.execute(
      db,
    );
    const rows = buildDemoKpiRows(lastMonth, published);
    const imported = await db
      .insertInto("kpi_import")
      .values({ source: "demo", file_name: "données de démonstration", user_id: null, rows: rows.length })
      .returning("id")
      .executeTakeFirstOrThrow();
    const incoming = sql`
      SELECT indicator_code, period, breakdown, department, value
      FROM jsonb_to_recordset(${JSON.stringify(rows)}::jsonb)
        AS x(indicator_code text, period date, breakdown text, department text, value numeric)`;
    const result = await upsertObservations(db, incoming, "demo", imported.id);
    await db
      .updateTable("kpi_import")
      .set({ created: result.created, revised: result.revised, unchanged: result.unchanged })
      .where("id", "=", imported.id)
      .execute();
  },
};
