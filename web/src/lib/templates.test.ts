import { describe, expect, it } from "vitest";
import { groupByIntent, insertTemplate, parseTemplateKey, renderPath, templateKey, templateLabel, templatesPath,
         type ResponseTemplate } from "./templates";

const template = (intent: string, name: string, text = "Your balance is {balance}."): ResponseTemplate =>
  ({ intent, name, text, slots: [], facts: [] });

describe("response templates", () => {
  it("groups by intent in the order first seen", () => {
    const groups = groupByIntent([template("check_balance", "balance"), template("payment", "last_bill"),
                                  template("check_balance", "low_credit")]);
    expect(groups.map(([intent, list]) => [intent, list.map((t) => t.name)]))
      .toEqual([["check_balance", ["balance", "low_credit"]], ["payment", ["last_bill"]]]);
    expect(groupByIntent([])).toEqual([]);
  });

  it("keys a template by intent and name, and reads the key back", () => {
    expect(templateKey(template("payment", "last_bill"))).toBe("payment/last_bill");
    expect(parseTemplateKey("payment/last_bill")).toEqual({ intent: "payment", name: "last_bill" });
    expect(parseTemplateKey("a/b/c")).toEqual({ intent: "a", name: "b/c" });
    expect(parseTemplateKey("")).toBeNull();
    expect(parseTemplateKey("/x")).toBeNull();
    expect(parseTemplateKey("x/")).toBeNull();
  });

  it("labels long texts shortly and builds the paths", () => {
    expect(templateLabel(template("i", "t", "Short."))).toBe("t: Short.");
    expect(templateLabel(template("i", "t", "x".repeat(80)), 10)).toBe(`t: ${"x".repeat(9)}…`);
    expect(templatesPath(4)).toBe("/api/v1/characters/4/templates");
    expect(renderPath(9)).toBe("/api/v1/conversations/9/templates/render");
  });

  it("inserts into an empty box alone and after typed text with one space", () => {
    expect(insertTemplate("", "Your balance is 3 EUR.")).toBe("Your balance is 3 EUR.");
    expect(insertTemplate("   ", "B")).toBe("B");
    expect(insertTemplate("Hi Kim,", "B")).toBe("Hi Kim, B");
    expect(insertTemplate("Hi Kim,\n", "B")).toBe("Hi Kim,\nB");
  });
});
