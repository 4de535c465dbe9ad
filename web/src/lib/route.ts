// The app's pages, addressed by the URL path (the server answers every non-API path with the app)
// and, where a page follows something that outlives it, a query parameter.
export type Route =
  | { page: "signin" }
  | { page: "gallery" }
  | { page: "chat"; conversationId: number }
  | { page: "studio" }
  | { page: "campaigns"; campaignId?: number }
  | { page: "experiments"; experimentId?: number } // the list, or one experiment's report
  | { page: "character"; characterId: number | "new" }
  | { page: "create"; jobId?: number } // the Create character wizard, following its generation job
  | { page: "jobs" } // the background jobs
  | { page: "bias"; jobId?: number } // the bias review, following its job (?job=123)
  | { page: "agent"; conversationId?: number }
  | { page: "kpis" }
  | { page: "analytics"; topicsJobId?: number } // the dashboards, following a topics job (?topics_job=123)
  | { page: "customers" }
  | { page: "notfound"; path: string };

function id(text: string | undefined): number | undefined {
  if (!text || !/^[1-9][0-9]{0,15}$/.test(text)) return undefined;
  return Number(text);
}

// A page's job in the query (the wizard's and the bias review's ?job=123, the Analytics page's ?topics_job=123), so a
// reload or a shared link follows the same job.
function jobOf(search: string, name = "job"): number | undefined {
  return id(new URLSearchParams(search).get(name) ?? undefined);
}

export function parseRoute(path: string, search = ""): Route {
  const parts = path.split("/").filter((part) => part.length > 0);
  const [first, second] = parts;
  if (parts.length === 0) return { page: "gallery" };
  if (first === "signin" && parts.length === 1) return { page: "signin" };
  if (first === "chat" && parts.length === 2 && id(second)) return { page: "chat", conversationId: id(second)! };
  if (first === "studio" && parts.length === 1) return { page: "studio" };
  if (first === "studio" && second === "campaigns" && parts.length <= 3) {
    if (parts.length === 2) return { page: "campaigns" };
    if (id(parts[2])) return { page: "campaigns", campaignId: id(parts[2])! };
  }
  if (first === "studio" && second === "experiments" && parts.length <= 3) {
    if (parts.length === 2) return { page: "experiments" };
    if (id(parts[2])) return { page: "experiments", experimentId: id(parts[2])! };
  }
  if (first === "studio" && parts.length === 2) {
    if (second === "create") {
      const jobId = jobOf(search);
      return jobId ? { page: "create", jobId } : { page: "create" };
    }
    if (second === "jobs") return { page: "jobs" };
    if (second === "bias") {
      const jobId = jobOf(search);
      return jobId ? { page: "bias", jobId } : { page: "bias" };
    }
    if (second === "new") return { page: "character", characterId: "new" };
    if (id(second)) return { page: "character", characterId: id(second)! };
  }
  if (first === "agent" && parts.length === 1) return { page: "agent" };
  if (first === "kpis" && parts.length === 1) return { page: "kpis" };
  if (first === "analytics" && parts.length === 1) {
    const topicsJobId = jobOf(search, "topics_job");
    return topicsJobId ? { page: "analytics", topicsJobId } : { page: "analytics" };
  }
  if (first === "customers" && parts.length === 1) return { page: "customers" };
  if (first === "agent" && parts.length === 2 && id(second)) return { page: "agent", conversationId: id(second)! };
  return { page: "notfound", path };
}

export function pathOf(route: Route): string {
  switch (route.page) {
    case "signin":
      return "/signin";
    case "gallery":
      return "/";
    case "chat":
      return `/chat/${route.conversationId}`;
    case "studio":
      return "/studio";
    case "character":
      return `/studio/${route.characterId}`;
    case "create":
      return route.jobId ? `/studio/create?job=${route.jobId}` : "/studio/create";
    case "jobs":
      return "/studio/jobs";
    case "bias":
      return route.jobId ? `/studio/bias?job=${route.jobId}` : "/studio/bias";
    case "campaigns":
      return route.campaignId ? `/studio/campaigns/${route.campaignId}` : "/studio/campaigns";
    case "experiments":
      return route.experimentId ? `/studio/experiments/${route.experimentId}` : "/studio/experiments";
    case "agent":
      return route.conversationId ? `/agent/${route.conversationId}` : "/agent";
    case "kpis":
      return "/kpis";
    case "analytics":
      return route.topicsJobId ? `/analytics?topics_job=${route.topicsJobId}` : "/analytics";
    case "customers":
      return "/customers";
    case "notfound":
      return route.path;
  }
}
