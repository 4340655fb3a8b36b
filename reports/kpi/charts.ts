/**
 * Small vector chart helpers for pdfkit: axes with a nice scale, grouped bars, lines (solid or dashed) and
 * stacked areas, from the same series as the dashboard's charts. Suppressed or missing values are gaps.
 */
export interface ChartSeries {
  label: string;
  values: Array<number | null>;
  /** `points`: markers only (published figures and goals), never joined. */
  kind: "bar" | "line" | "dashed" | "area" | "points";
  color: string;
  /** Join the points across missing values (a target set for a few years only). */
  connectGaps?: boolean;
}

/** The value axis: its upper bound and the labels of its five ticks (0, ¼, ½, ¾ and 1 × max), as printed. */
export interface ChartAxis {
  max: number;
  labels: string[];
}

export interface ChartSpec {
  categories: string[];
  series: ChartSeries[];
  yAxis: ChartAxis;
}

/** The ticks an axis of upper bound `max` prints: 0, ¼, ½, ¾ and 1 × max. */
export const AXIS_TICKS = 4;

export function axisTicks(max: number): number[] {
  return Array.from({ length: AXIS_TICKS + 1 }, (_, k) => (max * k) / AXIS_TICKS);
}

export interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
}

/**
 * The upper bound of a chart's value axis: `fixed` when given (e.g. 100 for a percentage), else a nice bound
 * above the data (stacked areas add up; other series stand alone).
 */
export function axisMax(series: ChartSeries[], fixed?: number): number {
  if (fixed !== undefined) return fixed;
  const stacked = series.filter((s) => s.kind === "area");
  const n = Math.max(0, ...series.map((s) => s.values.length));
  const tops = Array.from({ length: n }, (_, i) => stacked.reduce((a, s) => a + (s.values[i] ?? 0), 0));
  const all = [...tops, ...series.flatMap((s) => s.values.filter((v): v is number => v !== null))];
  return niceMax(Math.max(0, ...all));
}

/** 1, 2, 2.5, 5 × 10^n: a round upper bound for the axis. */
export function niceMax(value: number): number {
  if (!(value > 0)) return 1;
  const exp = 10 ** Math.floor(Math.log10(value));
  for (const step of [1, 2, 2.5, 5, 10]) if (step * exp >= value) return step * exp;
  return 10 * exp;
}

export function drawChart(doc: PDFKit.PDFDocument, box: Box, spec: ChartSpec, font: string): void {
  const left = box.x + 48;
  const bottom = box.y + box.height - 34;
  const top = box.y + 6;
  const right = box.x + box.width - 4;
  const plotW = right - left;
  const plotH = bottom - top;
  const n = spec.categories.length;
  if (n === 0) return;

  // Stacked areas add up; other series stand alone.
  const stacked = spec.series.filter((s) => s.kind === "area");
  const yMax = spec.yAxis.max;
  const yOf = (v: number) => bottom - (v / yMax) * plotH;
  const slot = plotW / n;
  const xOf = (i: number) => left + slot * (i + 0.5);

  doc.save();
  doc.font(font).fontSize(7).fillColor("#444");
  axisTicks(yMax).forEach((v, k) => {
    const y = yOf(v);
    doc
      .moveTo(left, y)
      .lineTo(right, y)
      .lineWidth(0.4)
      .strokeColor(k === 0 ? "#666" : "#ddd")
      .stroke();
    doc.text(spec.yAxis.labels[k] ?? "", box.x, y - 4, { width: 44, align: "right", lineBreak: false });
  });
  const every = Math.max(1, Math.ceil(n / 12));
  spec.categories.forEach((c, i) => {
    const lastApart = i === n - 1 && (n - 1) % every >= every / 2;
    if (i % every !== 0 && !lastApart) return;
    doc.text(c, xOf(i) - 24, bottom + 4, { width: 48, align: "center", lineBreak: false });
  });

  // Stacked areas, bottom to top.
  const base = spec.categories.map(() => 0);
  for (const s of stacked) {
    const upper = s.values.map((v, i) => base[i] + (v ?? 0));
    doc.moveTo(xOf(0), yOf(upper[0]));
    for (let i = 1; i < n; i++) doc.lineTo(xOf(i), yOf(upper[i]));
    for (let i = n - 1; i >= 0; i--) doc.lineTo(xOf(i), yOf(base[i]));
    doc.closePath().fillOpacity(0.75).fill(s.color).fillOpacity(1);
    upper.forEach((v, i) => {
      base[i] = v;
    });
  }

  const bars = spec.series.filter((s) => s.kind === "bar");
  const barW = (slot * 0.8) / Math.max(1, bars.length);
  bars.forEach((s, b) => {
    s.values.forEach((v, i) => {
      if (v === null || v <= 0) return;
      const x = left + slot * i + slot * 0.1 + barW * b;
      doc.rect(x, yOf(v), Math.max(0.5, barW - 1), bottom - yOf(v)).fill(s.color);
    });
  });

  for (const s of spec.series.filter((x) => x.kind === "line" || x.kind === "dashed")) {
    doc.lineWidth(1.4).strokeColor(s.color);
    if (s.kind === "dashed") doc.dash(4, { space: 3 });
    let drawing = false;
    let points = 0;
    s.values.forEach((v, i) => {
      if (v === null) {
        if (!s.connectGaps) drawing = false;
        return;
      }
      if (drawing) doc.lineTo(xOf(i), yOf(v));
      else doc.moveTo(xOf(i), yOf(v));
      drawing = true;
      points++;
    });
    if (points > 1) doc.stroke();
    doc.undash();
    // Isolated points (e.g. a target for one year) as dots.
    s.values.forEach((v, i) => {
      const prev = s.values[i - 1] ?? null;
      const next = s.values[i + 1] ?? null;
      if (v !== null && ((prev === null && next === null) || s.connectGaps))
        doc.circle(xOf(i), yOf(v), 2.5).fill(s.color);
    });
  }

  // Published figures: diamonds, never joined.
  for (const s of spec.series.filter((x) => x.kind === "points")) {
    s.values.forEach((v, i) => {
      if (v === null) return;
      const x = xOf(i);
      const y = yOf(v);
      doc.polygon([x, y - 4], [x + 4, y], [x, y + 4], [x - 4, y]).fill(s.color);
    });
  }

  // Legend under the axis labels.
  let lx = left;
  const ly = bottom + 18;
  for (const s of spec.series) {
    if (s.kind === "line" || s.kind === "dashed") {
      doc.lineWidth(1.6).strokeColor(s.color);
      if (s.kind === "dashed") doc.dash(3, { space: 2 });
      doc
        .moveTo(lx, ly + 4)
        .lineTo(lx + 14, ly + 4)
        .stroke();
      doc.undash();
    } else if (s.kind === "points")
      doc.polygon([lx + 7, ly], [lx + 11, ly + 4], [lx + 7, ly + 8], [lx + 3, ly + 4]).fill(s.color);
    else doc.rect(lx, ly, 14, 8).fill(s.color);
    doc.fillColor("#222").text(s.label, lx + 18, ly, { lineBreak: false });
    lx += 18 + doc.widthOfString(s.label) + 14;
  }
  doc.restore();
}
