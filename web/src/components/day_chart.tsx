// A uPlot line chart of values per UTC day (the KPI and Analytics pages). `percent`: the y axis
// always spans 0..100, so a lone 100% does not stretch it; `range` fixes it otherwise.
import { useEffect, useRef } from "preact/hooks";
import uPlot from "uplot";
import "uplot/dist/uPlot.min.css";

export type ChartLine = [string, (number | null)[], string];

export function DayChart({ title, testId, x, lines, percent = false, range }: {
  title: string; testId: string; x: number[]; lines: ChartLine[]; percent?: boolean; range?: [number, number];
}) {
  const host = useRef<HTMLDivElement>(null);
  useEffect(() => {
    if (!host.current) return;
    const yRange = percent ? [0, 100] as [number, number] : range;
    const options: uPlot.Options = {
      width: Math.max(280, Math.min(host.current.clientWidth || 480, 640)),
      height: 220,
      series: [{}, ...lines.map(([label, , stroke]) => ({ label, stroke, width: 2, spanGaps: false, points: { show: true } }))],
      axes: [{}, { size: 50 }],
      scales: yRange ? { x: { time: true }, y: { range: yRange } } : { x: { time: true } },
    };
    const plot = new uPlot(options, [x, ...lines.map(([, values]) => values)] as uPlot.AlignedData, host.current);
    return () => plot.destroy();
  }, [x, lines, percent, range]);
  return (
    <figure class="card kpi-chart" data-testid={testId}>
      <figcaption>{title}</figcaption>
      <div ref={host} />
    </figure>
  );
}
