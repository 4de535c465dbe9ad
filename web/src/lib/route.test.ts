import { describe, expect, it } from "vitest";
import { parseRoute, pathOf, type Route } from "./route";

describe("routes", () => {
  it("round-trip through their paths", () => {
    const routes: Route[] = [
      { page: "gallery" }, { page: "signin" }, { page: "chat", conversationId: 12 }, { page: "studio" },
      { page: "character", characterId: "new" }, { page: "character", characterId: 3 }, { page: "agent" },
      { page: "agent", conversationId: 9 }, { page: "kpis" }, { page: "analytics" }, { page: "customers" },
      { page: "campaigns" }, { page: "campaigns", campaignId: 4 }, { page: "create" }, { page: "jobs" },
      { page: "experiments" }, { page: "experiments", experimentId: 5 }, { page: "bias" },
    ];
    for (const route of routes) expect(parseRoute(pathOf(route))).toEqual(route);
    const wizard = pathOf({ page: "create", jobId: 42 });
    expect(wizard).toBe("/studio/create?job=42");
    const [path, search] = wizard.split("?");
    expect(parseRoute(path, `?${search}`)).toEqual({ page: "create", jobId: 42 });
    const topics = pathOf({ page: "analytics", topicsJobId: 8 });
    expect(topics).toBe("/analytics?topics_job=8");
    const [topicsPath, topicsSearch] = topics.split("?");
    expect(parseRoute(topicsPath, `?${topicsSearch}`)).toEqual({ page: "analytics", topicsJobId: 8 });
  });

  it("read the Analytics page's topics job from its own parameter only", () => {
    expect(parseRoute("/analytics", "?topics_job=12")).toEqual({ page: "analytics", topicsJobId: 12 });
    expect(parseRoute("/analytics", "?job=12")).toEqual({ page: "analytics" });
    expect(parseRoute("/analytics", "?topics_job=-3")).toEqual({ page: "analytics" });
    expect(parseRoute("/kpis", "?topics_job=12")).toEqual({ page: "kpis" });
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
    expect(parseRoute("/studio/experiments/0").page).toBe("notfound");
    expect(parseRoute("/studio/experiments/3/report").page).toBe("notfound");
  });

  it("read the wizard's job from the query, and only a positive integer", () => {
    expect(parseRoute("/studio/create", "?job=7")).toEqual({ page: "create", jobId: 7 });
    expect(parseRoute("/studio/create", "?other=1&job=7")).toEqual({ page: "create", jobId: 7 });
    expect(parseRoute("/studio/create", "?job=0")).toEqual({ page: "create" });
    expect(parseRoute("/studio/create", "?job=abc")).toEqual({ page: "create" });
    expect(parseRoute("/studio/create", "")).toEqual({ page: "create" });
    expect(parseRoute("/studio/jobs", "?job=7")).toEqual({ page: "jobs" });
  });

  it("read the bias review's job from the query, as the wizard's", () => {
    expect(pathOf({ page: "bias", jobId: 3 })).toBe("/studio/bias?job=3");
    expect(parseRoute("/studio/bias", "?job=3")).toEqual({ page: "bias", jobId: 3 });
    expect(parseRoute("/studio/bias", "?job=x")).toEqual({ page: "bias" });
    expect(parseRoute("/studio/bias/3").page).toBe("notfound");
  });
});
