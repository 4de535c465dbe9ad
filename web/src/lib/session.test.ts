import { describe, expect, it } from "vitest";
import { abilitiesOf, loadSession, saveSession, type Storage } from "./session";

function memory(): Storage & { items: Map<string, string> } {
  const items = new Map<string, string>();
  return { items, getItem: (k) => items.get(k) ?? null, setItem: (k, v) => void items.set(k, v), removeItem: (k) => void items.delete(k) };
}

describe("session", () => {
  it("is kept and forgotten", () => {
    const storage = memory();
    expect(loadSession(storage)).toBeNull();
    saveSession(storage, { key: "k", endUser: "tim", scopes: ["client"], keyName: "web", userName: "Tim" });
    expect(loadSession(storage)?.endUser).toBe("tim");
    saveSession(storage, null);
    expect(loadSession(storage)).toBeNull();
  });

  it("survives junk in storage", () => {
    const storage = memory();
    storage.setItem("troupe.session", "{not json");
    expect(loadSession(storage)).toBeNull();
    storage.setItem("troupe.session", JSON.stringify({ key: "k", scopes: ["client", "root"] }));
    expect(loadSession(storage)?.scopes).toEqual(["client"]);
  });

  it("maps scopes to the parts of the app", () => {
    expect(abilitiesOf(["client"])).toEqual({ chat: true, studio: false, agent: false, kpis: false });
    expect(abilitiesOf(["agent"])).toEqual({ chat: false, studio: false, agent: true, kpis: true });
    expect(abilitiesOf(["studio"])).toEqual({ chat: true, studio: true, agent: false, kpis: true });
    expect(abilitiesOf(["admin"])).toEqual({ chat: true, studio: true, agent: true, kpis: true });
  });
});
