// What /readyz says about the local model, in words for the UI.
export interface ModelReport {
  loaded: boolean;
  name?: string;
  path?: string;
  context_length?: number;
  memory_bytes?: number;
  hint?: string;
}

export function formatBytes(bytes: number): string {
  const units = ["B", "KB", "MB", "GB", "TB"];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value >= 100 || unit === 0 ? Math.round(value) : value.toFixed(1)} ${units[unit]}`;
}

export function formatTokens(tokens: number): string {
  return tokens >= 1024 && tokens % 1024 === 0 ? `${tokens / 1024}k` : String(tokens);
}

// One line: "stories260K · 512 tokens of context · 1.1 MB", or why there is no model.
export function describeModel(report: ModelReport | undefined): { ok: boolean; text: string; detail: string } {
  if (!report) return { ok: false, text: "Model status unknown", detail: "The server did not say whether a model is loaded." };
  if (!report.loaded) return { ok: false, text: "No model loaded", detail: report.hint ?? "" };
  const parts = [report.name || report.path || "local model"];
  if (report.context_length) parts.push(`${formatTokens(report.context_length)} tokens of context`);
  if (report.memory_bytes) parts.push(formatBytes(report.memory_bytes));
  return { ok: true, text: parts.join(" · "), detail: report.path ?? "" };
}
