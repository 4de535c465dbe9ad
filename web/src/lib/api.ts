// The Troupe API as the UI uses it: JSON calls with the session's key, streamed turns read as
// Server-Sent Events, and every failure turned into an ApiError whose message a person can read.
import { readEventStream, type SseEvent } from "./sse";

export interface Character {
  id: number;
  slug: string;
  name: string;
  nickname: string;
  description: string;
  personality: string;
  scenario: string;
  first_mes: string;
  mes_example: string;
  creator_notes: string;
  system_prompt: string;
  post_history_instructions: string;
  alternate_greetings: string[];
  character_book: CharacterBook | null;
  tags: string[];
  creator: string;
  character_version: string;
  extensions: Record<string, unknown>;
  source: string[];
  group_only_greetings: string[];
  creator_notes_multilingual: Record<string, string> | null;
  flow: string;
  avatar: string;
  published: boolean;
  version: number;
}

export interface LorebookEntry {
  keys: string[];
  content: string;
  enabled: boolean;
  insertion_order: number;
  comment?: string;
  [field: string]: unknown;
}

export interface CharacterBook {
  name?: string;
  entries: LorebookEntry[];
  [field: string]: unknown;
}

export interface Conversation {
  id: number;
  user_id: number;
  character_id: number;
  title: string;
  stage: string;
  mood: string;
  status: "active" | "handed_off" | "closed";
  message_count: number;
  metadata: Record<string, unknown>;
  last_activity_at: number;
}

export interface Message {
  id: number;
  conversation_id: number;
  parent_id: number | null;
  role: "user" | "assistant" | "agent" | "system" | "tool";
  content: string;
  stage: string;
  rating: number | null;
  incomplete: boolean;
  metadata: Record<string, unknown>;
  created_at: number;
  updated_at?: number;
}

// One call a reply made, refused or asked about, as the audit keeps it (arguments masked).
export interface ToolCall {
  id: number;
  conversation_id: number;
  message_id: number | null;
  call_id: string;
  tool: string;
  intent: string;
  arguments: unknown;
  method: string;
  url: string;
  http_status: number;
  outcome: string;
  error: string;
  latency_ms: number;
  attempts: number;
  created_at: number;
}

export interface Me {
  key: { prefix: string; name: string; scopes: string[]; user_id: number | null };
  user: { id: number; display_name: string; external_id: string } | null;
}

export interface Page<T> {
  data: T[];
  next_cursor: string | null;
}

export class ApiError extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly code: string,
    readonly field: string,
  ) {
    super(message);
    this.name = "ApiError";
  }
}

// A readable message for an error body ({"error": {"code", "message", "field"}}) or a bare status.
export function errorFromBody(status: number, body: string): ApiError {
  try {
    const parsed = JSON.parse(body) as { error?: { code?: string; message?: string; field?: string } };
    if (parsed.error && typeof parsed.error.message === "string") {
      return new ApiError(parsed.error.message, status, parsed.error.code ?? "", parsed.error.field ?? "");
    }
  } catch {
    // not JSON: fall through
  }
  const reasons: Record<number, string> = {
    401: "The API key was not accepted. Sign in again.",
    403: "This API key may not do that.",
    404: "Not found.",
    429: "Too many requests right now; try again in a few seconds.",
    502: "The server could not reach a dependency.",
    503: "The server is not ready (no model loaded?).",
  };
  return new ApiError(reasons[status] ?? `The server answered ${status}.`, status, "", "");
}

export type FetchLike = (input: string, init?: RequestInit) => Promise<Response>;

export class Api {
  constructor(
    private readonly key: string,
    private readonly endUser: string = "",
    private readonly fetcher: FetchLike = (input, init) => fetch(input, init),
  ) {}

  private headers(extra: Record<string, string> = {}): Record<string, string> {
    const headers: Record<string, string> = { Authorization: `Bearer ${this.key}`, ...extra };
    if (this.endUser) headers["X-Troupe-User"] = this.endUser;
    return headers;
  }

  private async send(method: string, path: string, body?: BodyInit, contentType?: string, signal?: AbortSignal): Promise<Response> {
    let response: Response;
    try {
      response = await this.fetcher(path, {
        method,
        headers: this.headers(contentType ? { "Content-Type": contentType } : {}),
        body,
        signal,
      });
    } catch (error) {
      if (error instanceof DOMException && error.name === "AbortError") throw error;
      throw new ApiError("The server cannot be reached. Check your connection.", 0, "network", "");
    }
    if (!response.ok) throw errorFromBody(response.status, await response.text());
    return response;
  }

  async json<T>(method: string, path: string, body?: unknown): Promise<T> {
    const response = await this.send(method, path, body === undefined ? undefined : JSON.stringify(body),
                                     body === undefined ? undefined : "application/json");
    if (response.status === 204) return undefined as T;
    return (await response.json()) as T;
  }

  async blob(path: string): Promise<Blob> {
    return (await this.send("GET", path)).blob();
  }

  // A call whose answer is a file rather than JSON (the studio's voice and picture previews): its
  // bytes and headers, which carry what the file does not say (X-Duration-Ms).
  async jsonForFile(method: string, path: string, body: unknown): Promise<{ blob: Blob; headers: Headers }> {
    const response = await this.send(method, path, JSON.stringify(body), "application/json");
    return { blob: await response.blob(), headers: response.headers };
  }

  async upload<T>(method: string, path: string, data: Blob, contentType: string): Promise<T> {
    return (await (await this.send(method, path, data, contentType)).json()) as T;
  }

  // A streamed call: each event as it comes. Resolves when the stream ends.
  async stream(method: string, path: string, body: unknown, onEvent: (event: SseEvent) => void,
               signal?: AbortSignal): Promise<void> {
    const response = await this.send(method, path, body === undefined ? undefined : JSON.stringify(body),
                                     body === undefined ? undefined : "application/json", signal);
    await readEventStream(response, onEvent);
  }

  // Every page of a paginated list.
  async all<T>(path: string): Promise<T[]> {
    const items: T[] = [];
    let cursor: string | null = null;
    do {
      const separator = path.includes("?") ? "&" : "?";
      const page: Page<T> = await this.json<Page<T>>(
        "GET", `${path}${separator}limit=200${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`);
      items.push(...page.data);
      cursor = page.next_cursor;
    } while (cursor);
    return items;
  }
}
