import { describe, expect, it } from "vitest";
import { expandMacros } from "./macros";

describe("card macros outside a conversation", () => {
  it("names the character and addresses the reader", () => {
    expect(expandMacros("{{char}} helps {{user}} with plans.", "Juno")).toBe("Juno helps you with plans.");
    expect(expandMacros("what {{user}} can change", "Maren")).toBe("what you can change");
  });

  it("accepts the runtime's spellings: any case, spaces inside the braces, <BOT> and <USER>", () => {
    expect(expandMacros("{{Char}} and {{ CHAR }} meet {{User}}", "Pip")).toBe("Pip and Pip meet you");
    expect(expandMacros("<BOT> greets <user>.", "Pip")).toBe("Pip greets you.");
  });

  it("turns a possessive {{user}}'s into your, and keeps the character's possessive", () => {
    expect(expandMacros("{{char}}'s tower is {{user}}'s refuge", "Pip")).toBe("Pip's tower is your refuge");
    expect(expandMacros("<USER>'s plan", "Juno", "Tim")).toBe("Tim's plan");
  });

  it("uses a given user name", () => {
    expect(expandMacros("{{char}} waves at {{user}}.", "Pip", "Tim")).toBe("Pip waves at Tim.");
  });

  it("leaves unknown macros and unclosed braces as written", () => {
    expect(expandMacros("{{random:a,b}} {{char", "Pip")).toBe("{{random:a,b}} {{char");
    expect(expandMacros("<b>bold</b> {{charlie}}", "Pip")).toBe("<b>bold</b> {{charlie}}");
    expect(expandMacros("", "Pip")).toBe("");
  });

  it("puts a name with $ signs in literally", () => {
    expect(expandMacros("{{char}}", "$1 $& Bob")).toBe("$1 $& Bob");
  });
});
