import { describe, expect, it } from "vitest";
import { conditionValue } from "./customers";

describe("segment condition values", () => {
  it("are numbers, booleans or text as typed", () => {
    expect(conditionValue("30")).toBe(30);
    expect(conditionValue(" 2.5 ")).toBe(2.5);
    expect(conditionValue("true")).toBe(true);
    expect(conditionValue("false")).toBe(false);
    expect(conditionValue("2025-01-02")).toBe("2025-01-02");
    expect(conditionValue("Oslo")).toBe("Oslo");
    expect(conditionValue("")).toBe("");
  });
});
