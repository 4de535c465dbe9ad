// Customers: end users' profiles imported from a CSV, and the segments they are sorted into — by
// rules (RFM-style thresholds) or by k-means on chosen numeric fields, with each cluster's size and
// centroid. Applying a segment writes its members' segment field, which campaigns target.
import { useEffect, useRef, useState } from "preact/hooks";
import { useApp } from "../context";

interface ImportReport {
  lines: number;
  created: number;
  updated: number;
  failed: number;
  errors: string[];
  columns: Record<string, string>;
}

interface Cluster {
  name: string;
  size: number;
  centroid: Record<string, number>;
  member_count: number;
}

interface Segment {
  id: number;
  name: string;
  description: string;
  kind: "rules" | "kmeans" | "cluster";
  parent: string | null;
  member_count: number;
  clusters: Cluster[];
}

interface ApplyReport {
  name: string;
  evaluated: number;
  members: number;
  added: number;
  removed: number;
}

const OPS = [">=", ">", "<=", "<", "=", "!="];

// A condition's value as typed: a number when it reads as one, true/false as booleans, else text.
export function conditionValue(text: string): string | number | boolean {
  const trimmed = text.trim();
  if (trimmed !== "" && !Number.isNaN(Number(trimmed))) return Number(trimmed);
  if (trimmed === "true" || trimmed === "false") return trimmed === "true";
  return trimmed;
}

function formatNumber(value: number): string {
  return Number.isInteger(value) ? String(value) : value.toFixed(2);
}

export function CustomersPage() {
  const { api, report } = useApp();
  const [segments, setSegments] = useState<Segment[] | null>(null);
  const [imported, setImported] = useState<ImportReport | null>(null);
  const [notice, setNotice] = useState("");
  const picker = useRef<HTMLInputElement>(null);

  const load = () => api.all<Segment>("/api/v1/segments").then(setSegments).catch(report);
  useEffect(() => { load(); }, []);

  async function importCsv(file: File) {
    try {
      setImported(await api.upload<ImportReport>("POST", "/api/v1/users/import", file, "text/csv"));
      load();
    } catch (error) {
      report(error);
    }
  }

  async function apply(name: string) {
    try {
      const result = await api.json<ApplyReport>("POST", `/api/v1/segments/${encodeURIComponent(name)}/apply`);
      setNotice(`Applied ${result.name}: ${result.members} members of ${result.evaluated} users ` +
                `(${result.added} added, ${result.removed} removed).`);
      load();
    } catch (error) {
      report(error);
    }
  }

  return (
    <section class="customers">
      <div class="toolbar">
        <h1>Customers</h1>
        <button type="button" class="secondary" onClick={() => picker.current?.click()}>Import CSV…</button>
        <input ref={picker} type="file" accept=".csv,text/csv" hidden aria-label="Profiles CSV"
               onChange={(e) => { const input = e.target as HTMLInputElement; if (input.files?.[0]) importCsv(input.files[0]); input.value = ""; }} />
      </div>
      <p class="hint">A CSV with a header row: <code>external_id</code>, optionally <code>display_name</code>, then profile fields.</p>
      {imported && (
        <div class="banner info" role="status" aria-label="Import report">
          <span>Imported {imported.lines} lines: {imported.created} created, {imported.updated} updated, {imported.failed} left out.</span>
          {imported.errors.length > 0 && <ul class="import-errors">{imported.errors.map((line) => <li key={line}>{line}</li>)}</ul>}
        </div>
      )}
      {notice && <p class="banner info" role="status">{notice}</p>}
      <h2>Segments</h2>
      {segments === null ? <p class="empty">Loading…</p> : segments.length === 0 ? <p class="empty">No segments yet.</p> : (
        <table class="segments">
          <thead><tr><th>Name</th><th>Kind</th><th>Members</th><th>Description</th><th></th></tr></thead>
          <tbody>
            {segments.map((segment) => (
              <tr key={segment.id} data-segment={segment.name}>
                <td>{segment.name}</td>
                <td>{segment.kind}</td>
                <td class="members">{segment.member_count}</td>
                <td>{segment.description}</td>
                <td>{segment.kind !== "cluster" && <button type="button" class="secondary" onClick={() => apply(segment.name)}>Apply</button>}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <div class="segment-forms">
        <RuleSegmentForm onCreated={(name) => { setNotice(`Created segment ${name}.`); load(); }} />
        <KMeansForm onCreated={load} />
      </div>
    </section>
  );
}

function RuleSegmentForm({ onCreated }: { onCreated: (name: string) => void }) {
  const { api, report } = useApp();
  const [name, setName] = useState("");
  const [field, setField] = useState("recency_days");
  const [op, setOp] = useState(">=");
  const [value, setValue] = useState("");
  const [monetaryField, setMonetaryField] = useState("");

  async function submit(event: Event) {
    event.preventDefault();
    const rules: Record<string, unknown> = { all: [{ field: field.trim(), op, value: conditionValue(value) }] };
    if (monetaryField.trim()) rules.monetary_field = monetaryField.trim();
    try {
      await api.json("POST", "/api/v1/segments", { name: name.trim(), rules });
      onCreated(name.trim());
      setName("");
    } catch (error) {
      report(error);
    }
  }

  return (
    <form class="card" aria-label="New rule segment" onSubmit={submit}>
      <h3>Rule segment</h3>
      <label>Name <input name="rule_name" required value={name} onInput={(e) => setName((e.target as HTMLInputElement).value)} /></label>
      <label>Field <input name="rule_field" required value={field} onInput={(e) => setField((e.target as HTMLInputElement).value)} /></label>
      <label>Operator
        <select name="rule_op" value={op} onChange={(e) => setOp((e.target as HTMLSelectElement).value)}>
          {OPS.map((o) => <option key={o} value={o}>{o}</option>)}
        </select>
      </label>
      <label>Value <input name="rule_value" required value={value} onInput={(e) => setValue((e.target as HTMLInputElement).value)} /></label>
      <label>Monetary field <span class="hint">(the profile field "monetary" means)</span>
        <input name="monetary_field" value={monetaryField} onInput={(e) => setMonetaryField((e.target as HTMLInputElement).value)} />
      </label>
      <button type="submit" disabled={!name.trim()}>Create</button>
    </form>
  );
}

function KMeansForm({ onCreated }: { onCreated: () => void }) {
  const { api, report } = useApp();
  const [name, setName] = useState("");
  const [fields, setFields] = useState("");
  const [k, setK] = useState("3");
  const [seed, setSeed] = useState("1");
  const [result, setResult] = useState<Segment | null>(null);

  async function submit(event: Event) {
    event.preventDefault();
    const chosen = fields.split(",").map((f) => f.trim()).filter((f) => f.length > 0);
    try {
      setResult(await api.json<Segment>("POST", "/api/v1/segments",
                                        { name: name.trim(), kmeans: { fields: chosen, k: Number(k), seed: Number(seed) } }));
      onCreated();
    } catch (error) {
      report(error);
    }
  }

  const fieldNames = result && result.clusters.length > 0 ? Object.keys(result.clusters[0].centroid) : [];
  return (
    <form class="card" aria-label="New k-means segment" onSubmit={submit}>
      <h3>k-means segment</h3>
      <label>Name <input name="kmeans_name" required value={name} onInput={(e) => setName((e.target as HTMLInputElement).value)} /></label>
      <label>Fields <span class="hint">(comma-separated numeric fields)</span>
        <input name="kmeans_fields" required value={fields} onInput={(e) => setFields((e.target as HTMLInputElement).value)} />
      </label>
      <label>k <input name="kmeans_k" type="number" min="1" max="50" value={k} onInput={(e) => setK((e.target as HTMLInputElement).value)} /></label>
      <label>Seed <input name="kmeans_seed" type="number" min="0" value={seed} onInput={(e) => setSeed((e.target as HTMLInputElement).value)} /></label>
      <button type="submit" disabled={!name.trim() || !fields.trim()}>Run k-means</button>
      {result && (
        <table class="clusters" aria-label="Clusters">
          <thead><tr><th>Cluster</th><th>Size</th>{fieldNames.map((f) => <th key={f}>{f}</th>)}</tr></thead>
          <tbody>
            {result.clusters.map((cluster) => (
              <tr key={cluster.name} data-cluster={cluster.name}>
                <td>{cluster.name}</td>
                <td class="size">{cluster.size}</td>
                {fieldNames.map((f) => <td key={f}>{formatNumber(cluster.centroid[f])}</td>)}
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </form>
  );
}
