// An experiment's report as chart data: the layout of the estimates chart (each variant's estimate
// with its confidence interval, the control's interval as a band behind them) and the series of
// the assignments-per-day chart.
import { confidenceLabel, formatInterval, formatValue, type ExperimentReport } from "./experiments";

const kDayMs = 86_400_000;

// One colour per variant (at most 8), the same in both charts, so a variant reads the same in each.
export const variantColors = ["#6d4aff", "#e07a00", "#2a9d4b", "#c0392b", "#1f77b4", "#8e44ad", "#b8860b", "#17a2b8"];

// Round tick values covering [min, max]: steps of 1, 2 or 5 times a power of ten, about `count`
// of them; the domain widens to the outer ticks so marks never touch the edge.
export function niceTicks(min: number, max: number, count = 5): { domain: [number, number]; ticks: number[] } {
  if (!(max > min)) {
    const pad = Math.abs(min) > 0 ? Math.abs(min) * 0.1 : 1;
    return niceTicks(min - pad, max + pad, count);
  }
  const rough = (max - min) / count;
  const power = 10 ** Math.floor(Math.log10(rough));
  const step = [1, 2, 5, 10].map((m) => m * power).find((s) => s >= rough) ?? 10 * power;
  const first = Math.floor(min / step) * step;
  const last = Math.ceil(max / step) * step;
  const ticks: number[] = [];
  // Rounded to the step's decimals, so 0.1 + 0.2 shows as 0.3.
  const decimals = Math.max(0, -Math.floor(Math.log10(step)));
  for (let tick = first; tick <= last + step / 2; tick += step) ticks.push(Number(tick.toFixed(decimals)));
  return { domain: [ticks[0], ticks[ticks.length - 1]], ticks };
}

export interface IntervalMark {
  name: string;
  index: number;       // the variant's position; 0 is the control
  y: number;           // the row's centre
  x: number | null;    // the estimate; null when nothing is measured yet
  low: number | null;
  high: number | null;
  label: string;       // "B: 4.20 (95% interval 3.90 to 4.50)" for titles and the description
  missing?: string;    // why there is no mark
}

export interface IntervalLayout {
  width: number;
  height: number;
  plotLeft: number;    // where the value axis starts (the names are to its left)
  plotRight: number;
  axisY: number;
  ticks: { x: number; label: string }[];
  marks: IntervalMark[];
  controlBand: { low: number; high: number; x: number } | null;
}

export const kRowHeight = 34;
const kTop = 12;
const kAxisHeight = 40;
const kNameWidth = 140;
const kRightPad = 24;

// The value range the chart shows: every interval, and for rates never past 0%..100%; a rating
// chart spans at least 1..5 so its scale does not jump as ratings come in.
function valueRange(report: ExperimentReport): [number, number] {
  const bounds = report.variants.flatMap((v) => (v.estimate ? [v.estimate.low, v.estimate.high, v.estimate.value] : []));
  if (report.metric === "rating") bounds.push(1, 5);
  if (bounds.length === 0) return [0, 1];
  let low = Math.min(...bounds);
  let high = Math.max(...bounds);
  if (report.proportion) {
    low = Math.max(0, low);
    high = Math.min(1, high);
  }
  return [low, high];
}

export function intervalLayout(report: ExperimentReport, width = 560): IntervalLayout {
  const [low, high] = valueRange(report);
  const { domain, ticks } = niceTicks(low, high);
  const plotLeft = kNameWidth;
  const plotRight = width - kRightPad;
  const x = (value: number) => plotLeft + ((value - domain[0]) / (domain[1] - domain[0])) * (plotRight - plotLeft);
  const axisY = kTop + report.variants.length * kRowHeight;
  const marks = report.variants.map((variant, index): IntervalMark => {
    const y = kTop + index * kRowHeight + kRowHeight / 2;
    const estimate = variant.estimate;
    const name = index === 0 ? `${variant.name} (control)` : variant.name;
    // A mean needs two outcomes for an interval: the server gives none for one.
    if (!estimate) {
      const missing = variant.measured > 0 ? "too few outcomes for an interval" : "nothing measured yet";
      return { name, index, y, x: null, low: null, high: null, missing, label: `${name}: ${missing}` };
    }
    return {
      name, index, y, x: x(estimate.value), low: x(estimate.low), high: x(estimate.high),
      label: `${name}: ${formatValue(estimate.value, report.proportion)} (${confidenceLabel(report)} interval ` +
             `${formatInterval(estimate.low, estimate.high, report.proportion)})`,
    };
  });
  const control = report.variants[0]?.estimate;
  return {
    width, height: axisY + kAxisHeight, plotLeft, plotRight, axisY, marks,
    ticks: ticks.map((tick) => ({ x: x(tick), label: report.proportion ? `${Math.round(tick * 100)}%` : String(tick) })),
    controlBand: control ? { low: x(control.low), high: x(control.high), x: x(control.value) } : null,
  };
}

// The assignments per day in uPlot's shape: x in seconds (each UTC midnight) and one array per
// variant. The report leaves out days without assignments; they are put back as zeros, because
// a line drawn straight over a missing day would say assignments happened that day.
export function assignmentSeries(report: ExperimentReport): { x: number[]; counts: number[][] } {
  const counts: number[][] = report.variants.map(() => []);
  const x: number[] = [];
  if (report.days.length === 0) return { x, counts };
  const byDay = new Map(report.days.map((day) => [day.day_start_ms, day.counts]));
  const first = report.days[0].day_start_ms;
  const last = report.days[report.days.length - 1].day_start_ms;
  for (let day = first; day <= last; day += kDayMs) {
    x.push(day / 1000);
    const found = byDay.get(day);
    counts.forEach((series, variant) => series.push(found?.[variant] ?? 0));
  }
  return { x, counts };
}
