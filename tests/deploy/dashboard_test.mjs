// deploy/: the Prometheus configuration and the Grafana dashboard against a real `troupe serve` and a
// real Prometheus on loopback. The configuration must pass promtool; every panel's query must be
// PromQL that Prometheus runs and name only series Troupe exports; the KPI panels and the character
// variable must show a seeded conversation.
// Troupe serves stories260K from the shared models, so the local engine's series exist too.
//   node dashboard_test.mjs TROUPE_BINARY DEPLOY_DIR SHARED_DIR   (TROUPE_SHARED_DIR overrides)
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const [troupeBinary, deployDir, sharedArgument] = process.argv.slice(2);
const sharedDir = process.env.TROUPE_SHARED_DIR ?? sharedArgument;
if (!troupeBinary || !deployDir || !sharedDir) {
  console.error('usage: node dashboard_test.mjs TROUPE_BINARY DEPLOY_DIR SHARED_DIR');
  process.exit(2);
}
const model = join(sharedDir, 'models/stories260K.gguf');
if (!existsSync(model)) {
  console.error(`FAIL: ${model} is missing (the shared models: ../shared/models)`);
  process.exit(1);
}

let failures = 0;
function check(condition, message) {
  if (!condition) {
    failures += 1;
    console.error(`FAIL: ${message}`);
  }
}

const work = mkdtempSync(join(tmpdir(), 'troupe-dashboard-'));
const children = [];
function cleanup() {
  for (const child of children) child.kill('SIGTERM');
  rmSync(work, { recursive: true, force: true });
}
process.on('exit', cleanup);

function requireTool(name) {
  const found = spawnSync('sh', ['-c', `command -v ${name}`]);
  if (found.status !== 0) {
    console.error(`FAIL: ${name} is not installed (scripts/setup installs Debian's prometheus package)`);
    process.exit(1);
  }
}

function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

// Resolves with what `pattern` captures once a line of the child's output matches it.
function waitForOutput(child, pattern, what) {
  return new Promise((resolve, reject) => {
    let seen = '';
    const timer = setTimeout(() => reject(new Error(`no ${what} within 30 s; output:\n${seen}`)), 30000);
    const look = (chunk) => {
      seen += chunk.toString();
      const match = seen.match(pattern);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    };
    child.stdout.on('data', look);
    child.stderr.on('data', look);
    child.once('exit', (code) => reject(new Error(`${what}: the process exited (${code}); output:\n${seen}`)));
  });
}

async function startTroupe() {
  const child = spawn(troupeBinary, ['serve', '--data', join(work, 'data'), '--listen', '127.0.0.1:0', '--model', model], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  const key = waitForOutput(child, /(trp_[A-Za-z0-9_]+)/, 'admin key');
  const address = waitForOutput(child, /listening on ([0-9.]+:[0-9]+)/, 'listening address');
  return { key: await key, address: await address };
}

async function api(troupe, path, body) {
  const response = await fetch(`http://${troupe.address}${path}`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${troupe.key}`, 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
  });
  if (!response.ok) throw new Error(`POST ${path}: ${response.status} ${await response.text()}`);
  return response.json();
}

async function startPrometheus(troupe) {
  const port = await freePort();
  const config = join(work, 'prometheus.yml');
  // The shipped configuration with this run's target and a 1 s interval, so the test waits little.
  const shipped = readFileSync(join(deployDir, 'prometheus/prometheus.yml'), 'utf8');
  writeFileSync(
    config,
    shipped.replace(/scrape_interval: \d+s/, 'scrape_interval: 1s').replace('127.0.0.1:8080', troupe.address),
  );
  const child = spawn(
    'prometheus',
    [`--config.file=${config}`, `--storage.tsdb.path=${join(work, 'tsdb')}`,
      `--web.listen-address=127.0.0.1:${port}`, '--log.level=warn'],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  children.push(child);
  return `http://127.0.0.1:${port}`;
}

async function query(prometheus, expr) {
  const response = await fetch(`${prometheus}/api/v1/query?query=${encodeURIComponent(expr)}`);
  return response.json();
}

// Polls until `ready` holds (each poll after 250 ms), at most 60 s: an integration test's bound on
// two real processes starting and Prometheus's first scrapes.
async function eventually(what, ready) {
  const deadline = Date.now() + 60000;
  for (;;) {
    try {
      if (await ready()) return;
    } catch {
      // not up yet
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

// The metric families a scrape of Troupe declares (# TYPE lines: present even before a sample).
async function exportedFamilies(troupe) {
  const text = await (await fetch(`http://${troupe.address}/metrics`)).text();
  return new Set([...text.matchAll(/^# TYPE (\S+) /gm)].map((match) => match[1]));
}

function seriesNamesOf(expr) {
  const names = expr.match(/\b(troupe|process)_[a-z0-9_]+/g) ?? [];
  return names.map((name) => name.replace(/_(bucket|sum|count)$/, ''));
}

function panelsOf(dashboard) {
  const panels = [];
  for (const panel of dashboard.panels) {
    if (panel.type === 'row') panels.push(...(panel.panels ?? []));
    else panels.push(panel);
  }
  return panels;
}

async function main() {
  requireTool('prometheus');
  requireTool('promtool');
  const promtool = spawnSync('promtool', ['check', 'config', join(deployDir, 'prometheus/prometheus.yml')]);
  check(promtool.status === 0, `promtool check config: ${promtool.stdout}${promtool.stderr}`);

  const dashboard = JSON.parse(readFileSync(join(deployDir, 'grafana/troupe.json'), 'utf8'));
  const panels = panelsOf(dashboard);
  check(panels.length >= 20, `the dashboard has ${panels.length} panels`);
  const ids = dashboard.panels.map((panel) => panel.id);
  check(new Set(ids).size === ids.length, 'panel ids are unique');

  const troupe = await startTroupe();
  const character = await api(troupe, '/api/v1/characters', { name: 'Dashboard', description: 'Seeded.', published: true });
  const user = await api(troupe, '/api/v1/users', { external_id: 'dashboard', display_name: 'Dashboard' });
  await api(troupe, '/api/v1/conversations', { character_id: character.id, user_id: user.id });

  const prometheus = await startPrometheus(troupe);
  await eventually('Prometheus to scrape the seeded conversation', async () => {
    const result = await query(prometheus, 'troupe_kpi_conversations');
    return result.status === 'success' && result.data.result.length > 0;
  });

  const families = await exportedFamilies(troupe);
  for (const panel of panels) {
    check((panel.targets ?? []).length > 0, `panel "${panel.title}" has no query`);
    for (const target of panel.targets ?? []) {
      const expr = target.expr.replaceAll('$__rate_interval', '1m').replaceAll('$character', '.*');
      const result = await query(prometheus, expr);
      check(result.status === 'success', `panel "${panel.title}": ${target.expr}: ${result.error ?? result.status}`);
      for (const name of seriesNamesOf(target.expr)) {
        check(families.has(name), `panel "${panel.title}" names ${name}, which Troupe does not export`);
      }
    }
  }

  const conversations = await query(prometheus, 'sum(troupe_kpi_conversations{character=~".*"})');
  check(conversations.data?.result?.[0]?.value?.[1] === '1', `seeded conversations: ${JSON.stringify(conversations.data)}`);
  await eventually('the request-rate panel to show the scrapes (two samples)', async () => {
    const requests = await query(prometheus, 'sum by (route) (rate(troupe_http_requests_total[1m]))');
    return (requests.data?.result ?? []).length > 0;
  });
  const variable = dashboard.templating.list.find((entry) => entry.name === 'character');
  check(variable?.query?.query === 'label_values(troupe_kpi_conversations, character)', 'the character variable query');
  const labels = await (await fetch(`${prometheus}/api/v1/label/character/values?match[]=troupe_kpi_conversations`)).json();
  check((labels.data ?? []).includes(character.slug), `the character variable lists ${character.slug}: ${JSON.stringify(labels)}`);

  if (failures > 0) {
    console.error(`dashboard_test: ${failures} failure(s)`);
    process.exit(1);
  }
  console.log(`dashboard_test: ${panels.length} panels, every query runs and names exported series`);
  process.exit(0);  // the children's pipes would keep the event loop alive; exit's handler stops them
}

main().catch((error) => {
  console.error(`FAIL: ${error.stack ?? error}`);
  process.exit(1);
});
