import { describe, expect, it } from "vitest";
import { parseRoute, pathOf, type Route } from "./route";

describe("routes", () => {
  it("round-trip through their paths", () => {
    const routes: Route[] = [
      { page: "gallery" }, { page: "signin" }, { page: "chat", conversationId: 12 }, { page: "studio" },
      { page: "character", characterId: "new" }, { page: "character", characterId: 3 }, { page: "agent" },
      { page: "agent", conversationId: 9 }, { page: "kpis" }, { page: "analytics" }, { page: "customers" },
      { page: "campaigns" }, { page: "campaigns", campaignId: 4 }, { page: "create" }, { page: "jobs" },
    ];
    for (const route of routes) expect(parseRoute(pathOf(route))).toEqual(route);
  });

  it("refuse ids that are not positive integers", () => {
    expect(parseRoute("/chat/0").page).toBe("notfound");
    expect(parseRoute("/chat/abc").page).toBe("notfound");
    expect(parseRoute("/chat/1e3").page).toBe("notfound");
    expect(parseRoute("/nowhere/at/all")).toEqual({ page: "notfound", path: "/nowhere/at/all" });
    expect(parseRoute("/chat/7/")).toEqual({ page: "chat", conversationId: 7 });
  });

  it("tell the wizard apart from a character's page", () => {
    expect(parseRoute("/studio/create")).toEqual({ page: "create" });
    expect(parseRoute("/studio/create/")).toEqual({ page: "create" });
    expect(parseRoute("/studio/create/2").page).toBe("notfound");
    expect(parseRoute("/studio/jobs")).toEqual({ page: "jobs" });
    expect(parseRoute("/studio/12")).toEqual({ page: "character", characterId: 12 });
  });
});
