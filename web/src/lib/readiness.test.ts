import { describe, expect, it } from "vitest";
import { describeModel, formatBytes, formatTokens } from "./readiness";

describe("readiness", () => {
  it("describes a loaded model", () => {
    expect(describeModel({ loaded: true, name: "Qwen2.5 1.5B", context_length: 4096, memory_bytes: 1_117_000_000, path: "/m.gguf" }))
      .toEqual({ ok: true, text: "Qwen2.5 1.5B · 4k tokens of context · 1.0 GB", detail: "/m.gguf" });
  });
  it("passes on the server's hint when there is none", () => {
    expect(describeModel({ loaded: false, hint: "run troupe models pull" })).toEqual({ ok: false, text: "No model loaded", detail: "run troupe models pull" });
    expect(describeModel(undefined).ok).toBe(false);
  });
  it("formats sizes", () => {
    expect(formatBytes(512)).toBe("512 B");
    expect(formatBytes(1536)).toBe("1.5 KB");
    expect(formatBytes(300 * 1024 * 1024)).toBe("300 MB");
    expect(formatTokens(32768)).toBe("32k");
    expect(formatTokens(500)).toBe("500");
  });
});
