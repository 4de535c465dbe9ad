// The bias review's report (pages/bias.tsx): the summary, one table per dimension (its reference
// first, each test's p-value beside the figure it tests, flagged ones marked) and every row as one
// CSV. Shaping lives in lib/bias.ts.
import { useMemo } from "preact/hooks";
import type { Character } from "../lib/api";
import { biasCsv, biasRows, biasSummary, formatAlpha, kBiasMetrics, type BiasDimension, type BiasMetric, type BiasResult, type BiasRow } from "../lib/bias";
import { CsvButton } from "./csv_button";

const kMetricHeadings: Record<BiasMetric, { title: string; figure: string; explain: string }> = {
  length: { title: "Words", figure: "mean", explain: "Mean reply length in words; Mann–Whitney U against the reference" },
  sentiment: { title: "Sentiment", figure: "mean", explain: "Mean sentiment of the replies, -1 to 1; Mann–Whitney U against the reference" },
  refusals: { title: "Refusals", figure: "rate", explain: "Share of replies that refuse; two-proportion z-test against the reference" },
  stages: { title: "Stages reached", figure: "mean", explain: "Distinct flow stages per conversation; Mann–Whitney U against the reference" },
};

export function BiasReportView({ jobId, result, characters }: { jobId: number; result: BiasResult; characters: Character[] }) {
  const character = characters.find((c) => c.id === result.character_id)?.name ?? `character #${result.character_id}`;
  return (
    <article class="bias-report" data-testid="bias-report" data-job={jobId} aria-labelledby="bias-report-heading">
      <h2 id="bias-report-heading">Bias review of {character} <span class="hint">job #{jobId}</span></h2>
      <p class="hint" data-testid="bias-summary">{biasSummary(result)}</p>
      <p class="hint">
        A p-value is flagged when it is below the dimension's corrected α (0.05 shared among its comparisons, Bonferroni), so a
        character is not flagged by chance alone. Stages reached are compared only with two or more conversations per variant
        (repeats 2 or more){result.repeats < 2 ? <strong>: this review held one, so their p-values are 1</strong> : null}.
      </p>
      <p class="bias-csv">
        <CsvButton fileName={`bias-review-${result.character_id}-job-${jobId}.csv`} csv={() => biasCsv(result)} label="Download all rows (CSV)" />
      </p>
      {result.dimensions.map((dimension) => <DimensionTable key={dimension.name} dimension={dimension} />)}
    </article>
  );
}

function DimensionTable({ dimension }: { dimension: BiasDimension }) {
  const rows = useMemo(() => biasRows(dimension), [dimension]);
  // Twelve columns do not fit a phone: the table scrolls sideways rather than squeezing its figures.
  return (
    <div class="table-scroll">
      <table class="kpi-table bias-table" data-testid="bias-dimension" data-dimension={dimension.name} data-flagged={String(dimension.flagged)}>
        <caption>
          <span class="bias-dimension-name">{dimension.name}</span>{" "}
          {dimension.flagged ? <span class="pill bias-flag" data-testid="dimension-flagged">flagged</span> : <span class="pill">not flagged</span>}{" "}
          <span class="hint">corrected α <span class="bias-alpha">{formatAlpha(dimension.corrected_alpha)}</span></span>
        </caption>
        <thead>
          <tr>
            <th scope="col" rowSpan={2}>Variant</th><th scope="col" rowSpan={2}>Replies</th><th scope="col" rowSpan={2}>Failed</th>
            {kBiasMetrics.map((metric) => (
              <th key={metric} scope="colgroup" colSpan={2} title={kMetricHeadings[metric].explain}>{kMetricHeadings[metric].title}</th>
            ))}
            <th scope="col" rowSpan={2} title="The stage each conversation ended at, with how many">Final stages</th>
          </tr>
          <tr>
            {kBiasMetrics.map((metric) => [
              <th key={`${metric}-figure`} scope="col">{kMetricHeadings[metric].figure}</th>,
              <th key={`${metric}-p`} scope="col" title="p-value against the reference">p</th>,
            ])}
          </tr>
        </thead>
        <tbody>
          {rows.map((row) => <VariantRow key={row.label} row={row} />)}
        </tbody>
      </table>
    </div>
  );
}

function VariantRow({ row }: { row: BiasRow }) {
  return (
    <tr data-variant={row.label} data-reference={String(row.reference)} class={row.flagged ? "flagged" : undefined}>
      <th scope="row">{row.label}{row.reference && <span class="pill">reference</span>}</th>
      <td class="bias-replies">{row.replies}</td>
      <td class="bias-failed">{row.failed}</td>
      {kBiasMetrics.map((metric) => {
        const cell = row.cells[metric];
        return [
          <td key={`${metric}-figure`} class="bias-figure" data-metric={metric}>{cell.value}</td>,
          <td key={`${metric}-p`} class={cell.flagged ? "bias-p flagged" : "bias-p"} data-metric={metric} data-flagged={String(cell.flagged)}>
            <span class="bias-p-value">{cell.p}</span>
            {cell.flagged && <span class="pill bias-flag" title="below the corrected α">flagged</span>}
          </td>,
        ];
      })}
      <td class="bias-final-stages">{row.finalStages}</td>
    </tr>
  );
}
