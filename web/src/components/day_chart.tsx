// A uPlot line chart of values per UTC day (the KPI, Analytics and Experiments pages). `percent`:
// the y axis always spans 0..100, so a lone 100% does not stretch it; `range` fixes it otherwise.
// A single day gets a day on each side: uPlot 1.6 widens a lone time value by 86400 / ms units,
// which in seconds is about 2.7 years. `stepSeconds` is the time between two x values (a week for
// weekly figures), so a lone week gets a week on each side and an axis of days, not of hours.
// The canvas says nothing to a screen reader, so it carries `description` (or the title) as its label;
// and since its points are pixels, each draw writes how many it drew (data-drawn-points), which
// the browser tests read.
import { useEffect, useRef } from "preact/hooks";
import uPlot from "uplot";
import "uplot/dist/uPlot.min.css";

export type ChartLine = [string, (number | null)[], string];

// The points uPlot holds for its series (the x values are not points), gaps left out.
function drawnPoints(plot: uPlot): number {
  let points = 0;
  for (const values of plot.data.slice(1)) {
    for (const value of Array.from(values as ArrayLike<number | null | undefined>)) if (value !== null && value !== undefined) ++points;
  }
  return points;
}

const kDaySeconds = 86_400;
const xScale = (stepSeconds: number): uPlot.Scale => ({
  time: true,
  range: (plot, min, max) => {
    const days = plot.data[0];
    const lone = days.length > 0 && days[0] === days[days.length - 1];
    return lone ? [days[0] - stepSeconds, days[0] + stepSeconds] : [min, max];
  },
});

export function DayChart({ title, testId, x, lines, percent = false, range, description, stepSeconds = kDaySeconds }: {
  title: string; testId: string; x: number[]; lines: ChartLine[]; percent?: boolean; range?: [number, number];
  description?: string; stepSeconds?: number;
}) {
  const host = useRef<HTMLDivElement>(null);
  useEffect(() => {
    if (!host.current) return;
    const target = host.current;
    const yRange = percent ? [0, 100] as [number, number] : range;
    const options: uPlot.Options = {
      width: Math.max(280, Math.min(target.clientWidth || 480, 640)),
      height: 220,
      series: [{}, ...lines.map(([label, , stroke]) => ({ label, stroke, width: 2, spanGaps: false, points: { show: true } }))],
      axes: [{}, { size: 50 }],
      scales: yRange ? { x: xScale(stepSeconds), y: { range: yRange } } : { x: xScale(stepSeconds) },
      hooks: { draw: [(plot) => { target.dataset.drawnPoints = String(drawnPoints(plot)); }] },
    };
    const plot = new uPlot(options, [x, ...lines.map(([, values]) => values)] as uPlot.AlignedData, target);
    // The label goes on the canvas, not the whole chart, so the legend (series names) stays readable.
    plot.ctx.canvas.setAttribute("role", "img");
    plot.ctx.canvas.setAttribute("aria-label", description ?? title);
    return () => {
      plot.destroy();
      delete target.dataset.drawnPoints;
    };
  }, [x, lines, percent, range, title, description, stepSeconds]);
  return (
    <figure class="card kpi-chart" data-testid={testId}>
      <figcaption>{title}</figcaption>
      <div ref={host} />
    </figure>
  );
}
