import { describe, expect, it } from "vitest";
import { csvField, toCsv } from "./csv";

describe("csv", () => {
  it("leaves plain fields and numbers alone", () => {
    expect(csvField("intro")).toBe("intro");
    expect(csvField(0.125)).toBe("0.125");
    expect(csvField(-3)).toBe("-3");
    expect(csvField(1234567)).toBe("1234567");
  });

  it("quotes commas, quotes and line breaks, doubling quotes", () => {
    expect(csvField("a,b")).toBe('"a,b"');
    expect(csvField('say "hi"')).toBe('"say ""hi"""');
    expect(csvField("two\nlines")).toBe('"two\nlines"');
    expect(csvField("cr\r")).toBe('"cr\r"');
  });

  it("writes nothing for null, undefined and non-finite numbers", () => {
    expect(csvField(null)).toBe("");
    expect(csvField(undefined)).toBe("");
    expect(csvField(Number.NaN)).toBe("");
  });

  it("puts the header first and ends every row with CRLF", () => {
    expect(toCsv(["stage", "reached"], [["intro", 4], ["a, b", null]])).toBe('stage,reached\r\nintro,4\r\n"a, b",\r\n');
    expect(toCsv(["only"], [])).toBe("only\r\n");
  });
});
