// A predictor's report as chart layouts (SVG coordinates): the reliability diagram (each
// calibration bin's mean predicted probability against how often the outcome happened, beside the
// diagonal a calibrated model would follow) and the feature-importance bars (each feature's share
// of the trees' total gain).
import { formatProbability, type CalibrationBin, type FeatureGain } from "./predictions";

// A tick at the same probability on both axes: `x` along the bottom, `y` up the left.
export interface ChartTick {
  x: number;
  y: number;
  label: string;
}

export interface ReliabilityPoint {
  x: number;
  y: number;
  r: number;       // grows with the bin's count, so a bin of 2 does not look as sure as a bin of 200
  label: string;   // for the point's <title> and the chart's description
}

export interface ReliabilityLayout {
  width: number;
  height: number;
  left: number;    // the plot's square: left..right, top..bottom
  right: number;
  top: number;
  bottom: number;
  ticks: ChartTick[];   // 0%, 25% ... 100%
  diagonal: { x1: number; y1: number; x2: number; y2: number };
  points: ReliabilityPoint[];
  path: string;    // the points joined in order of the predicted probability ("" with fewer than 2)
}

const kLeft = 48;
const kRight = 16;
const kTop = 12;
const kBottom = 44;

function binLabel(bin: CalibrationBin): string {
  const low = Math.round(bin.low * 100);
  const high = Math.round(bin.high * 100);
  const conversations = bin.count === 1 ? "conversation" : "conversations";
  return `Predicted ${formatProbability(bin.mean_predicted)} (bin ${low}–${high}%): ` +
         `happened in ${formatProbability(bin.observed_rate)} of ${bin.count} ${conversations}`;
}

const clamp01 = (value: number) => Math.min(1, Math.max(0, value));

export function reliabilityLayout(bins: CalibrationBin[], width = 320): ReliabilityLayout {
  const size = width - kLeft - kRight;
  const left = kLeft;
  const top = kTop;
  const right = left + size;
  const bottom = top + size;
  const x = (p: number) => left + clamp01(p) * size;
  const y = (p: number) => bottom - clamp01(p) * size;
  const largest = Math.max(1, ...bins.map((bin) => bin.count));
  const points = [...bins]
    .sort((a, b) => a.mean_predicted - b.mean_predicted)
    .map((bin) => ({ x: x(bin.mean_predicted), y: y(bin.observed_rate), r: 3 + 5 * Math.sqrt(bin.count / largest), label: binLabel(bin) }));
  const path = points.length < 2 ? "" : points.map((p, i) => `${i === 0 ? "M" : "L"}${p.x.toFixed(1)} ${p.y.toFixed(1)}`).join(" ");
  return {
    width, height: bottom + kBottom, left, right, top, bottom,
    ticks: [0, 0.25, 0.5, 0.75, 1].map((p) => ({ x: x(p), y: y(p), label: `${Math.round(p * 100)}%` })),
    diagonal: { x1: x(0), y1: y(0), x2: x(1), y2: y(1) },
    points, path,
  };
}

export interface ImportanceBar {
  feature: string;
  share: number;   // of the total gain, 0..1
  y: number;       // the row's top
  length: number;  // the bar's width in pixels
  label: string;
}

export interface ImportanceLayout {
  width: number;
  height: number;
  plotLeft: number;   // bars start here; names are to the left
  rowHeight: number;
  barHeight: number;
  bars: ImportanceBar[];
  unused: string[];   // features the trees never split on (gain 0)
}

const kRowHeight = 24;
const kNameWidth = 230;
const kShareWidth = 48;

// One bar per feature the trees used, largest gain first; the longest bar fills the width.
export function importanceLayout(importance: FeatureGain[], width = 480): ImportanceLayout {
  const used = importance.filter((f) => f.gain > 0 && Number.isFinite(f.gain)).sort((a, b) => b.gain - a.gain);
  const total = used.reduce((sum, f) => sum + f.gain, 0);
  const plotLeft = kNameWidth;
  const span = width - plotLeft - kShareWidth;
  const largest = used.length > 0 ? used[0].gain : 1;
  const bars = used.map((f, index) => {
    const share = total > 0 ? f.gain / total : 0;
    return {
      feature: f.feature, share, y: 8 + index * kRowHeight, length: Math.max(1, (f.gain / largest) * span),
      label: `${f.feature}: ${Math.round(share * 100)}% of the gain`,
    };
  });
  return {
    width, height: 16 + Math.max(1, bars.length) * kRowHeight, plotLeft, rowHeight: kRowHeight, barHeight: kRowHeight - 8,
    bars, unused: importance.filter((f) => !(f.gain > 0)).map((f) => f.feature),
  };
}
