import { describe, expect, it } from "vitest";
import { compactArguments, formatLatency, formatTime, outcomeTone, toolCallsPath } from "./tool_calls";

describe("tool calls", () => {
  it("builds the console's query from its filters", () => {
    expect(toolCallsPath({ tool: "", outcome: "" })).toBe("/api/v1/tool-calls?limit=50");
    expect(toolCallsPath({ tool: " get_balance ", outcome: "ok" }, "c/2", 20))
      .toBe("/api/v1/tool-calls?tool=get_balance&outcome=ok&limit=20&cursor=c%2F2");
  });

  it("colours outcomes and writes compact cells", () => {
    expect(outcomeTone("ok")).toBe("ok");
    expect(outcomeTone("awaiting_confirmation")).toBe("waiting");
    expect(outcomeTone("declined")).toBe("waiting");
    expect(outcomeTone("permission_denied")).toBe("failed");
    expect(compactArguments({ arguments: { pack: "5GB", card: "****" } })).toBe('{"pack":"5GB","card":"****"}');
    expect(compactArguments({ arguments: {} })).toBe("{}");
    expect(compactArguments({ arguments: "not json{" })).toBe("not json{");
    expect(formatLatency(0)).toBe("–");
    expect(formatLatency(3.25)).toBe("3.3 ms");
    expect(formatLatency(120.6)).toBe("121 ms");
    const noon = new Date(2026, 0, 15, 12, 0, 5).getTime();
    expect(formatTime(noon, noon + 1000)).toBe(new Date(noon).toLocaleTimeString());
    expect(formatTime(noon, noon + 3 * 86_400_000)).toBe(new Date(noon).toLocaleString());
  });
});
