// The support KPIs of a period (GET /api/v1/kpis): the totals, charts per day (response times;
// resolution, handoff and agent load reduction rates; CSAT) and tables per intent and per character.
import { useEffect, useState } from "preact/hooks";
import { CsvButton } from "../components/csv_button";
import { DayChart as Chart } from "../components/day_chart";
import { useApp } from "../context";
import {
  characterLabel, daySeries, defaultPeriod, formatDuration, formatRate, intentLabel, kpiGroupsCsv, kpiPath,
  type KpiGroup, type KpiReport, type KpiValues,
} from "../lib/kpis";

interface Reports {
  days: KpiReport;
  intents: KpiReport;
  characters: KpiReport;
}

export function KpisPage() {
  const { api, report } = useApp();
  const [period, setPeriod] = useState(() => defaultPeriod(Date.now()));
  const [reports, setReports] = useState<Reports | null>(null);
  const [loading, setLoading] = useState(false);

  const load = async () => {
    setLoading(true);
    try {
      const [days, intents, characters] = await Promise.all([
        api.json<KpiReport>("GET", kpiPath(period.from, period.to, "day")),
        api.json<KpiReport>("GET", kpiPath(period.from, period.to, "intent")),
        api.json<KpiReport>("GET", kpiPath(period.from, period.to, "character")),
      ]);
      setReports({ days, intents, characters });
    } finally {
      setLoading(false);
    }
  };
  useEffect(() => { load().catch(report); }, []);

  const submit = (event: Event) => {
    event.preventDefault();
    load().catch(report);
  };
  const series = reports ? daySeries(reports.days.groups) : null;
  return (
    <section class="kpis">
      <form class="kpi-period" onSubmit={submit}>
        <h1>KPIs</h1>
        <label>From <input type="date" name="from" value={period.from} required
                           onInput={(e) => setPeriod({ ...period, from: (e.target as HTMLInputElement).value })} /></label>
        <label>To <input type="date" name="to" value={period.to} required
                         onInput={(e) => setPeriod({ ...period, to: (e.target as HTMLInputElement).value })} /></label>
        <button type="submit" disabled={loading}>{loading ? "Loading…" : "Show"}</button>
        <span class="hint">Conversations by the UTC day they started.</span>
      </form>
      {reports && series && (
        <>
          <Totals values={reports.days.totals} />
          <div class="kpi-charts">
            <Chart title="Response times (s)" testId="chart-response" x={series.x}
                   lines={[["First response", series.firstResponseSeconds, "#6d4aff"],
                           ["Average response", series.averageResponseSeconds, "#e07a00"]]} />
            <Chart title="Rates (%)" testId="chart-rates" x={series.x} percent
                   lines={[["Resolution", series.resolutionPercent, "#2a9d4b"],
                           ["Handoff", series.handoffPercent, "#c0392b"],
                           ["Agent load reduction", series.loadReductionPercent, "#1f77b4"]]} />
            <Chart title="CSAT (% rated 4 or 5)" testId="chart-csat" x={series.x} percent
                   lines={[["CSAT", series.csatPercent, "#8e44ad"]]} />
          </div>
          <KpiTable caption="Per day" testId="kpi-days" groups={reports.days.groups} label={(g) => g.key ?? ""}
                    fileName={`kpis-days-${reports.days.from}-${reports.days.to}.csv`} />
          <KpiTable caption="Per intent" testId="kpi-intents" groups={reports.intents.groups} label={intentLabel}
                    fileName={`kpis-intents-${reports.days.from}-${reports.days.to}.csv`} />
          <KpiTable caption="Per character" testId="kpi-characters" groups={reports.characters.groups} label={characterLabel}
                    fileName={`kpis-characters-${reports.days.from}-${reports.days.to}.csv`} />
        </>
      )}
    </section>
  );
}

function Totals({ values: v }: { values: KpiValues }) {
  const figures: [string, string][] = [
    ["Conversations", String(v.conversations)],
    ["First response", formatDuration(v.first_response_ms)],
    ["Average response", formatDuration(v.average_response_ms)],
    ["Resolution", formatRate(v.resolution_rate, v.resolved, v.conversations)],
    ["Handoff", formatRate(v.handoff_rate, v.handed_off, v.conversations)],
    ["Agent load reduction", formatRate(v.agent_load_reduction, v.resolved_without_human, v.resolved)],
    ["CSAT", formatRate(v.csat, v.csat_satisfied, v.csat_ratings) + (v.csat_mean === null ? "" : `, mean ${v.csat_mean.toFixed(1)}`)],
    ["Routing accuracy", formatRate(v.routing_accuracy, v.routing_correct, v.routing_reviews)],
    ["Campaign replies", formatRate(v.campaign_reply_rate, v.campaign_replies, v.campaign_sends)],
  ];
  return (
    <dl class="kpi-totals" data-testid="kpi-totals">
      {figures.map(([name, value]) => (
        <div class="card" key={name}><dt>{name}</dt><dd>{value}</dd></div>
      ))}
    </dl>
  );
}

function KpiTable({ caption, testId, groups, label, fileName }: {
  caption: string; testId: string; groups: KpiGroup[]; label: (group: KpiGroup) => string; fileName: string;
}) {
  const column = caption.replace("Per ", "");
  return (
    <table class="kpi-table" data-testid={testId}>
      <caption>{caption} <CsvButton fileName={fileName} csv={() => kpiGroupsCsv(column, groups, label)} /></caption>
      <thead>
        <tr>
          <th scope="col">{caption.replace("Per ", "").replace(/^./, (c) => c.toUpperCase())}</th>
          <th scope="col">Conversations</th>
          <th scope="col">First response</th>
          <th scope="col">Average response</th>
          <th scope="col">Resolution</th>
          <th scope="col">Handoff</th>
          <th scope="col">Agent load reduction</th>
          <th scope="col">CSAT</th>
          <th scope="col">Routing accuracy</th>
        </tr>
      </thead>
      <tbody>
        {groups.length === 0 && <tr><td colSpan={9} class="empty">No conversations in this period.</td></tr>}
        {groups.map((g) => (
          <tr key={String(g.key)} data-key={g.key ?? ""}>
            <th scope="row">{label(g)}</th>
            <td>{g.conversations}</td>
            <td>{formatDuration(g.first_response_ms)}</td>
            <td>{formatDuration(g.average_response_ms)}</td>
            <td>{formatRate(g.resolution_rate, g.resolved, g.conversations)}</td>
            <td>{formatRate(g.handoff_rate, g.handed_off, g.conversations)}</td>
            <td>{formatRate(g.agent_load_reduction, g.resolved_without_human, g.resolved)}</td>
            <td>{formatRate(g.csat, g.csat_satisfied, g.csat_ratings)}</td>
            <td>{formatRate(g.routing_accuracy, g.routing_correct, g.routing_reviews)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
