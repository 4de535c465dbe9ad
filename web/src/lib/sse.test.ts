import { describe, expect, it } from "vitest";
import { SseParser } from "./sse";

const stream = 'event: delta\ndata: {"text":"Hel"}\n\n: heartbeat\n\nevent: done\ndata: {"a":1}\ndata: {"b":2}\n\ndata: plain\n\n';

describe("SseParser", () => {
  it("reads typed events, multi-line data, comments and default types", () => {
    const events = new SseParser().feed(stream);
    expect(events).toEqual([
      { type: "delta", data: '{"text":"Hel"}' },
      { type: "done", data: '{"a":1}\n{"b":2}' },
      { type: "message", data: "plain" },
    ]);
  });

  it("gives the same events however the stream is cut, CRLF included", () => {
    const crlf = stream.replace(/\n/g, "\r\n");
    for (const text of [stream, crlf]) {
      const whole = new SseParser().feed(text);
      for (let size = 1; size <= 7; size++) {
        const parser = new SseParser();
        const events = [];
        for (let at = 0; at < text.length; at += size) events.push(...parser.feed(text.slice(at, at + size)));
        expect(events).toEqual(whole);
      }
    }
  });

  it("drops an event the stream never finished", () => {
    const parser = new SseParser();
    expect(parser.feed("event: delta\ndata: half")).toEqual([]);
    parser.end();
    expect(parser.feed("\n\n")).toEqual([]);
  });
});
