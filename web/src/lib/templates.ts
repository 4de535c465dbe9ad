// Response templates in the agent console: the character's list grouped by intent, the API paths,
// and how an inserted template joins what the agent has already typed, as pure functions.

// One template of GET /api/v1/characters/{id}/templates.
export interface ResponseTemplate {
  intent: string;
  name: string;
  text: string;
  slots: string[];
  facts: string[];
}

// POST /api/v1/conversations/{id}/templates/render's answer.
export interface RenderedTemplate {
  text: string;
  values: Record<string, string>;
  unfilled: string[];
}

export function templatesPath(characterId: number): string {
  return `/api/v1/characters/${characterId}/templates`;
}

export function renderPath(conversationId: number): string {
  return `/api/v1/conversations/${conversationId}/templates/render`;
}

// "intent/name": unique within a character, so it serves as the picker's option value.
export function templateKey(template: Pick<ResponseTemplate, "intent" | "name">): string {
  return `${template.intent}/${template.name}`;
}

export function parseTemplateKey(key: string): { intent: string; name: string } | null {
  const slash = key.indexOf("/");
  if (slash <= 0 || slash === key.length - 1) return null;
  return { intent: key.slice(0, slash), name: key.slice(slash + 1) };
}

// The templates grouped by intent, intents in the order first seen.
export function groupByIntent(templates: ResponseTemplate[]): [string, ResponseTemplate[]][] {
  const groups = new Map<string, ResponseTemplate[]>();
  for (const template of templates) {
    const group = groups.get(template.intent);
    if (group) group.push(template);
    else groups.set(template.intent, [template]);
  }
  return [...groups.entries()];
}

// A short label for a template: its name and the start of its text.
export function templateLabel(template: ResponseTemplate, width = 60): string {
  const text = template.text.length > width ? `${template.text.slice(0, width - 1)}…` : template.text;
  return `${template.name}: ${text}`;
}

// The reply box after inserting `text`: the text alone when the box is empty, else after what the
// agent wrote, separated by a space (or nothing when it already ends in whitespace).
export function insertTemplate(current: string, text: string): string {
  if (!current.trim()) return text;
  return /\s$/.test(current) ? current + text : `${current} ${text}`;
}
