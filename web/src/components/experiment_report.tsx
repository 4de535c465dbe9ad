// One experiment's report (GET .../experiments/{id}/report): what each variant changes, the
// summary sentence, the table per variant (downloadable as CSV), each variant's estimate with its
// interval against the control's, and the assignments per day.
import { useEffect, useMemo, useState } from "preact/hooks";
import { CsvButton } from "./csv_button";
import { DayChart, type ChartLine } from "./day_chart";
import { ExperimentActions, StatusPill } from "./experiment_actions";
import { IntervalChart } from "./interval_chart";
import { useApp } from "../context";
import type { Character } from "../lib/api";
import { assignmentSeries, niceTicks, variantColors } from "../lib/experiment_charts";
import {
  confidenceLabel, decisionLabels, formatDifference, formatInterval, formatPValue, formatValue, metricLabel, variantChange, variantsCsv,
  type Experiment, type ExperimentReport, type VariantReport,
} from "../lib/experiments";

export function ExperimentReportView({ experimentId, characters }: { experimentId: number; characters: Character[] | null }) {
  const { api, navigate, report: reportProblem } = useApp();
  const [report, setReport] = useState<ExperimentReport | null>(null);
  const [loading, setLoading] = useState(false);

  const load = async () => {
    setLoading(true);
    try {
      setReport(await api.json<ExperimentReport>("GET", `/api/v1/studio/experiments/${experimentId}/report`));
    } catch (error) {
      reportProblem(error);
    } finally {
      setLoading(false);
    }
  };
  useEffect(() => { void load(); }, [experimentId]);

  const back = (
    <a href="/studio/experiments" onClick={(e) => { e.preventDefault(); navigate({ page: "experiments" }); }}>← Experiments</a>
  );
  if (!report) return <section class="experiment-report"><div class="toolbar">{back}</div><p class="empty">Loading…</p></section>;
  const experiment = report.experiment;
  const characterName = (id: number) => characters?.find((c) => c.id === id)?.name ?? `#${id}`;
  return (
    <section class="experiment-report kpis">
      <div class="toolbar">
        {back}
        <h1>{experiment.name}</h1>
        <StatusPill experiment={experiment} />
        <ExperimentActions experiment={experiment} onChanged={() => void load()}
                           onDeleted={() => navigate({ page: "experiments" })} />
        <button type="button" class="secondary" disabled={loading} onClick={() => void load()}>
          {loading ? "Refreshing…" : "Refresh"}
        </button>
      </div>
      <ExperimentFacts experiment={experiment} characterName={characterName} />
      <p class="experiment-summary card" data-testid="experiment-summary">{report.summary}</p>
      <VariantTable report={report} />
      <ReportCharts report={report} />
    </section>
  );
}

function ExperimentFacts({ experiment, characterName }: { experiment: Experiment; characterName: (id: number) => string }) {
  const when = (ms: number | null) => (ms ? new Date(ms).toLocaleString() : "–");
  return (
    <>
      <p class="hint">
        {characterName(experiment.character_id)} · varies the {experiment.kind === "prompt" ? "system prompt" : experiment.kind} ·
        metric: {metricLabel(experiment.metric, experiment.return_days)} ·{" "}
        {experiment.planned_trials > 0 ? `${experiment.planned_trials} trials planned per variant` : "no trials planned"} ·
        started {when(experiment.started_at)}{experiment.stopped_at ? ` · stopped ${when(experiment.stopped_at)}` : ""}
      </p>
      <ul class="experiment-variant-specs">
        {experiment.variants.map((variant, index) => (
          <li key={variant.name}>
            <b>{variant.name}</b>{index === 0 ? " (control)" : ""}{variant.weight !== undefined ? `, weight ${variant.weight}` : ""}:{" "}
            <span class="hint">{variantChange(experiment, variant, characterName)}</span>
          </li>
        ))}
      </ul>
    </>
  );
}

function VariantTable({ report }: { report: ExperimentReport }) {
  const { proportion } = report;
  const estimate = (v: VariantReport) =>
    v.estimate ? `${formatValue(v.estimate.value, proportion)} (${formatInterval(v.estimate.low, v.estimate.high, proportion)})` : "–";
  const difference = (v: VariantReport) => v.against_control
    ? `${formatDifference(v.against_control.difference, proportion)} (${formatInterval(v.against_control.low, v.against_control.high, proportion, true)})`
    : "–";
  return (
    <table class="kpi-table" data-testid="experiment-variants">
      <caption>
        Per variant{" "}
        <CsvButton fileName={`experiment-${report.experiment.id}-variants.csv`} csv={() => variantsCsv(report)} />
      </caption>
      <thead>
        <tr>
          <th scope="col">Variant</th><th scope="col">Assigned</th><th scope="col">Measured</th><th scope="col">Pending</th>
          <th scope="col">Estimate ({confidenceLabel(report)} interval)</th><th scope="col">Difference to control ({confidenceLabel(report)} interval)</th>
          <th scope="col">p-value</th><th scope="col">Decision</th>
        </tr>
      </thead>
      <tbody>
        {report.variants.map((v, index) => (
          <tr key={v.name} data-variant={index}>
            <th scope="row">{v.name}{index === 0 && <span class="hint"> (control)</span>}</th>
            <td data-column="assigned">{v.assigned}</td>
            <td data-column="measured">{v.measured}</td>
            <td data-column="pending">{v.pending}</td>
            <td>{estimate(v)}</td>
            <td>{index === 0 ? "" : difference(v)}</td>
            <td title={v.against_control ? `${v.against_control.test}, statistic ${v.against_control.statistic.toFixed(2)}` : undefined}>
              {v.against_control ? formatPValue(v.against_control.p_value) : index === 0 ? "" : "–"}
            </td>
            <td>{v.decision ? decisionLabels[v.decision] : index === 0 ? "" : "–"}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function ReportCharts({ report }: { report: ExperimentReport }) {
  const series = useMemo(() => assignmentSeries(report), [report]);
  const lines = useMemo(() => report.variants.map((v, index): ChartLine =>
    [v.name, series.counts[index], variantColors[index % variantColors.length]]), [report, series]);
  const label = metricLabel(report.metric, report.experiment.return_days);
  const totals = report.variants.map((v) => `${v.name} ${v.assigned}`).join(", ");
  // Counts from zero, so a day of 9 against a day of 11 does not look like nothing against plenty.
  const countRange = useMemo(() => niceTicks(0, Math.max(1, ...series.counts.flat())).domain, [series]);
  return (
    <div class="kpi-charts experiment-charts">
      <IntervalChart title={`${label}: estimate per variant`} testId="chart-estimates" report={report} axisLabel={label} />
      {series.x.length === 0 ? <p class="empty card">No conversation has been assigned yet.</p> : (
        <DayChart title="Assignments per day" testId="chart-assignments" x={series.x} lines={lines} range={countRange}
                  description={`Conversations assigned per UTC day and variant over ${series.x.length} day` +
                               `${series.x.length === 1 ? "" : "s"}; in all: ${totals}`} />
      )}
    </div>
  );
}
