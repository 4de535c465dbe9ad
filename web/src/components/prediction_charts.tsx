// A predictor's held-out report as two charts: the reliability diagram and the feature-importance
// bars (lib/prediction_charts.ts lays them out). SVG rather than uPlot, as for the experiments'
// interval chart: uPlot draws series over a sorted time or value axis and has neither a reference
// diagonal nor labelled horizontal bars, while SVG marks are elements a screen reader is told
// about (the <desc>) and a test can count (.reliability-point, .importance-bar).
import { useMemo } from "preact/hooks";
import { importanceLayout, reliabilityLayout } from "../lib/prediction_charts";
import type { CalibrationBin, FeatureGain } from "../lib/predictions";

export function ReliabilityChart({ title, testId, bins }: { title: string; testId: string; bins: CalibrationBin[] }) {
  const layout = useMemo(() => reliabilityLayout(bins), [bins]);
  const titleId = `${testId}-title`;
  const descriptionId = `${testId}-description`;
  const description = bins.length === 0
    ? "No held-out conversations to compare with."
    : `Predicted probability against how often it happened, per bin; a calibrated model follows the diagonal. ${
      layout.points.map((p) => p.label).join("; ")}.`;
  return (
    <figure class="card kpi-chart prediction-chart" data-testid={testId}>
      <figcaption id={titleId}>{title}</figcaption>
      <svg viewBox={`0 0 ${layout.width} ${layout.height}`} role="img" aria-labelledby={`${titleId} ${descriptionId}`}
           preserveAspectRatio="xMinYMin meet">
        <desc id={descriptionId}>{description}</desc>
        <g class="axis">
          <line x1={layout.left} x2={layout.right} y1={layout.bottom} y2={layout.bottom} />
          <line x1={layout.left} x2={layout.left} y1={layout.top} y2={layout.bottom} />
          {layout.ticks.map((tick) => (
            <g key={tick.label}>
              <line class="grid" x1={tick.x} x2={tick.x} y1={layout.top} y2={layout.bottom} />
              <line class="grid" x1={layout.left} x2={layout.right} y1={tick.y} y2={tick.y} />
              <text x={tick.x} y={layout.bottom + 16} text-anchor="middle">{tick.label}</text>
              <text x={layout.left - 6} y={tick.y + 4} text-anchor="end">{tick.label}</text>
            </g>
          ))}
          <text class="axis-label" x={(layout.left + layout.right) / 2} y={layout.height - 6} text-anchor="middle">Predicted</text>
          <text class="axis-label" x={12} y={(layout.top + layout.bottom) / 2} text-anchor="middle"
                transform={`rotate(-90 12 ${(layout.top + layout.bottom) / 2})`}>Observed</text>
        </g>
        <line class="diagonal" x1={layout.diagonal.x1} y1={layout.diagonal.y1} x2={layout.diagonal.x2} y2={layout.diagonal.y2}>
          <title>A calibrated model</title>
        </line>
        {layout.path && <path class="reliability-line" d={layout.path} />}
        {layout.points.map((point) => (
          <circle key={point.label} class="reliability-point" cx={point.x} cy={point.y} r={point.r}>
            <title>{point.label}</title>
          </circle>
        ))}
      </svg>
    </figure>
  );
}

export function ImportanceChart({ title, testId, importance }: { title: string; testId: string; importance: FeatureGain[] }) {
  const layout = useMemo(() => importanceLayout(importance), [importance]);
  const titleId = `${testId}-title`;
  const descriptionId = `${testId}-description`;
  const description = layout.bars.length === 0
    ? "The trees used no feature."
    : `Each feature's share of the trees' total gain, largest first: ${layout.bars.map((b) => b.label).join("; ")}.${
      layout.unused.length > 0 ? ` Not used: ${layout.unused.join(", ")}.` : ""}`;
  return (
    <figure class="card kpi-chart prediction-chart" data-testid={testId}>
      <figcaption id={titleId}>{title}</figcaption>
      <svg viewBox={`0 0 ${layout.width} ${layout.height}`} role="img" aria-labelledby={`${titleId} ${descriptionId}`}
           preserveAspectRatio="xMinYMin meet">
        <desc id={descriptionId}>{description}</desc>
        {layout.bars.map((bar) => (
          <g key={bar.feature} class="importance-bar" data-feature={bar.feature}>
            <title>{bar.label}</title>
            <text class="feature-name" x={layout.plotLeft - 8} y={bar.y + layout.barHeight / 2 + 4} text-anchor="end">{bar.feature}</text>
            <rect x={layout.plotLeft} y={bar.y} width={bar.length} height={layout.barHeight} rx={2} />
            <text x={layout.plotLeft + bar.length + 4} y={bar.y + layout.barHeight / 2 + 4}>{Math.round(bar.share * 100)}%</text>
          </g>
        ))}
        {layout.bars.length === 0 && <text class="nothing-yet" x={8} y={20}>No feature was used.</text>}
      </svg>
      {layout.unused.length > 0 && <p class="hint">Not used by the trees: {layout.unused.join(", ")}.</p>}
    </figure>
  );
}
