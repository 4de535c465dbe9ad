// Each variant's estimate with its confidence interval (a dot with whiskers, one row per variant),
// the control's interval as a band behind every row and its estimate as a dashed line, so a
// variant whose whiskers leave the band stands out. SVG rather than uPlot: uPlot draws series
// over an x axis and has no interval marks, and SVG marks are elements a screen reader can be
// told about (the <desc>) and a test can count (.interval-mark).
import { useMemo } from "preact/hooks";
import { intervalLayout, kRowHeight, variantColors } from "../lib/experiment_charts";
import { confidenceLabel, type ExperimentReport } from "../lib/experiments";

export function IntervalChart({ title, testId, report, axisLabel }: {
  title: string; testId: string; report: ExperimentReport; axisLabel: string;
}) {
  const layout = useMemo(() => intervalLayout(report), [report]);
  const titleId = `${testId}-title`;
  const descriptionId = `${testId}-description`;
  const caps = kRowHeight / 4;
  return (
    <figure class="card kpi-chart interval-chart" data-testid={testId}>
      <figcaption id={titleId}>{title}</figcaption>
      <svg viewBox={`0 0 ${layout.width} ${layout.height}`} role="img" aria-labelledby={`${titleId} ${descriptionId}`}
           preserveAspectRatio="xMinYMin meet">
        <desc id={descriptionId}>{layout.marks.map((mark) => mark.label).join("; ")}.</desc>
        {layout.controlBand && (
          <g class="control-band">
            <rect x={layout.controlBand.low} y={0} width={Math.max(1, layout.controlBand.high - layout.controlBand.low)}
                  height={layout.axisY}><title>The control's interval</title></rect>
            <line x1={layout.controlBand.x} x2={layout.controlBand.x} y1={0} y2={layout.axisY} />
          </g>
        )}
        <g class="axis">
          <line x1={layout.plotLeft} x2={layout.plotRight} y1={layout.axisY} y2={layout.axisY} />
          {layout.ticks.map((tick) => (
            <g key={tick.label}>
              <line x1={tick.x} x2={tick.x} y1={layout.axisY} y2={layout.axisY + 5} />
              <text x={tick.x} y={layout.axisY + 18} text-anchor="middle">{tick.label}</text>
            </g>
          ))}
          <text class="axis-label" x={(layout.plotLeft + layout.plotRight) / 2} y={layout.height - 4} text-anchor="middle">
            {axisLabel} ({confidenceLabel(report)} confidence interval)
          </text>
        </g>
        {layout.marks.map((mark) => {
          const color = variantColors[mark.index % variantColors.length];
          return (
            <g key={mark.index} data-variant={mark.index}>
              <text class="variant-name" x={layout.plotLeft - 8} y={mark.y + 4} text-anchor="end">
                {mark.name.length > 22 ? `${mark.name.slice(0, 21)}…` : mark.name}
              </text>
              {mark.x === null ? (
                <text class="nothing-yet" x={layout.plotLeft + 4} y={mark.y + 4}>{mark.missing}</text>
              ) : (
                <g class="interval-mark" stroke={color} fill={color}>
                  <title>{mark.label}</title>
                  <line x1={mark.low!} x2={mark.high!} y1={mark.y} y2={mark.y} stroke-width={2} />
                  <line x1={mark.low!} x2={mark.low!} y1={mark.y - caps} y2={mark.y + caps} stroke-width={2} />
                  <line x1={mark.high!} x2={mark.high!} y1={mark.y - caps} y2={mark.y + caps} stroke-width={2} />
                  <circle cx={mark.x} cy={mark.y} r={5} />
                </g>
              )}
            </g>
          );
        })}
      </svg>
    </figure>
  );
}
