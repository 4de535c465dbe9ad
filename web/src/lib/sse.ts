// Server-Sent Events read from a fetch() body. EventSource cannot send an Authorization header or
// POST a message, and the API needs both, so the stream is parsed here: fed text in whatever pieces
// the network delivers, it yields whole events.
export interface SseEvent {
  type: string; // "message" when the stream names none
  data: string;
  id?: string;
}

export class SseParser {
  private buffer = "";
  private type = "";
  private data: string[] = [];
  private id: string | undefined;

  // Feeds a piece of the stream; returns the events it completed.
  feed(chunk: string): SseEvent[] {
    this.buffer += chunk;
    const events: SseEvent[] = [];
    for (;;) {
      const newline = this.buffer.search(/\r\n|\r|\n/);
      if (newline < 0) break;
      const line = this.buffer.slice(0, newline);
      const width = this.buffer.startsWith("\r\n", newline) ? 2 : 1;
      // A lone "\r" at the end may be the first half of "\r\n": wait for the next piece.
      if (width === 1 && this.buffer[newline] === "\r" && newline + 1 === this.buffer.length) break;
      this.buffer = this.buffer.slice(newline + width);
      const event = this.line(line);
      if (event) events.push(event);
    }
    return events;
  }

  // The end of the stream: an event without its closing blank line is dropped, as the spec says.
  end(): void {
    this.buffer = "";
    this.type = "";
    this.data = [];
  }

  private line(line: string): SseEvent | undefined {
    if (line === "") {
      if (this.data.length === 0 && this.type === "") return undefined;
      const event: SseEvent = { type: this.type || "message", data: this.data.join("\n") };
      if (this.id !== undefined) event.id = this.id;
      this.type = "";
      this.data = [];
      return event;
    }
    if (line.startsWith(":")) return undefined; // a comment (heartbeat)
    const colon = line.indexOf(":");
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? "" : line.slice(colon + 1);
    if (value.startsWith(" ")) value = value.slice(1);
    if (field === "event") this.type = value;
    else if (field === "data") this.data.push(value);
    else if (field === "id") this.id = value;
    return undefined;
  }
}

// Reads a fetch() Response body as SSE, calling `onEvent` for each event until the stream ends
// or `signal` aborts.
export async function readEventStream(response: Response, onEvent: (event: SseEvent) => void): Promise<void> {
  if (!response.body) throw new Error("the server sent no stream");
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  const parser = new SseParser();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    for (const event of parser.feed(decoder.decode(value, { stream: true }))) onEvent(event);
  }
  for (const event of parser.feed(decoder.decode())) onEvent(event);
  parser.end();
}
