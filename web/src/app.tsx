// The shell: sign-in, navigation by scope, theme, routing by URL path, and the error banner every
// page reports to.
import { useEffect, useMemo, useState } from "preact/hooks";
import { Api, ApiError, type Me } from "./lib/api";
import { parseRoute, pathOf, type Route } from "./lib/route";
import { abilitiesOf, loadSession, saveSession, type Scope, type Session } from "./lib/session";
import { AppContext, type AppServices } from "./context";
import { Gallery } from "./pages/gallery";
import { ChatPage } from "./pages/chat";
import { StudioList, CharacterPage } from "./pages/studio";
import { AgentConsole } from "./pages/agent";
import { KpisPage } from "./pages/kpis";
import { AnalyticsPage } from "./pages/analytics";
import { CustomersPage } from "./pages/customers";
import { CampaignsPage } from "./pages/campaigns";
import { JobsPage } from "./pages/jobs";
import { ExperimentsPage } from "./pages/experiments";
import { BiasPage } from "./pages/bias";
import { CreateCharacterPage } from "./pages/create_character";
import { ModelStatus } from "./components/model_status";

type Theme = "light" | "dark";

function initialTheme(): Theme {
  const saved = localStorage.getItem("troupe.theme");
  if (saved === "light" || saved === "dark") return saved;
  return window.matchMedia?.("(prefers-color-scheme: dark)").matches ? "dark" : "light";
}

export function App() {
  const [session, setSession] = useState<Session | null>(() => loadSession(sessionStorage));
  const [route, setRoute] = useState<Route>(() => parseRoute(location.pathname, location.search));
  const [error, setError] = useState("");
  const [theme, setTheme] = useState<Theme>(initialTheme);

  useEffect(() => {
    const onPop = () => setRoute(parseRoute(location.pathname, location.search));
    addEventListener("popstate", onPop);
    return () => removeEventListener("popstate", onPop);
  }, []);
  useEffect(() => {
    document.documentElement.dataset.theme = theme;
    localStorage.setItem("troupe.theme", theme);
  }, [theme]);

  const services = useMemo<AppServices | null>(() => {
    if (!session) return null;
    return {
      api: new Api(session.key, session.endUser),
      session,
      navigate: (next: Route) => {
        history.pushState(null, "", pathOf(next));
        setRoute(next);
        setError("");
      },
      report: (problem: unknown) => {
        if (problem instanceof DOMException && problem.name === "AbortError") return;
        const message = problem instanceof Error ? problem.message : String(problem);
        setError(message);
        if (problem instanceof ApiError && problem.status === 401) signOut();
      },
      clearError: () => setError(""),
    };
  }, [session]);

  function signOut() {
    saveSession(sessionStorage, null);
    setSession(null);
  }

  if (!session || !services) {
    return (
      <div class="shell">
        <SignIn
          onSignedIn={(next) => {
            saveSession(sessionStorage, next);
            setSession(next);
            const start = parseRoute(location.pathname, location.search);
            setRoute(start.page === "signin" ? { page: "gallery" } : start);
          }}
        />
      </div>
    );
  }

  const can = abilitiesOf(session.scopes);
  const go = (next: Route) => (event: Event) => {
    event.preventDefault();
    services.navigate(next);
  };
  return (
    <AppContext.Provider value={services}>
      <div class="shell">
        <header class="topbar">
          <a class="brand" href="/" onClick={go({ page: "gallery" })}>Troupe</a>
          <nav aria-label="Main">
            {can.chat && <a href="/" aria-current={route.page === "gallery" || route.page === "chat" ? "page" : undefined} onClick={go({ page: "gallery" })}>Chat</a>}
            {can.studio && <a href="/customers" aria-current={route.page === "customers" ? "page" : undefined} onClick={go({ page: "customers" })}>Customers</a>}
            {can.studio && <a href="/studio" aria-current={route.page === "studio" || route.page === "character" || route.page === "campaigns" || route.page === "create" || route.page === "jobs" || route.page === "experiments" || route.page === "bias" ? "page" : undefined} onClick={go({ page: "studio" })}>Studio</a>}
            {can.agent && <a href="/agent" aria-current={route.page === "agent" ? "page" : undefined} onClick={go({ page: "agent" })}>Agent console</a>}
            {can.kpis && <a href="/kpis" aria-current={route.page === "kpis" ? "page" : undefined} onClick={go({ page: "kpis" })}>KPIs</a>}
            {can.kpis && <a href="/analytics" aria-current={route.page === "analytics" ? "page" : undefined} onClick={go({ page: "analytics" })}>Analytics</a>}
          </nav>
          <div class="spacer" />
          <ModelStatus />
          <button class="ghost" type="button" aria-label={`Switch to ${theme === "dark" ? "light" : "dark"} theme`}
                  onClick={() => setTheme(theme === "dark" ? "light" : "dark")}>{theme === "dark" ? "☀" : "☾"}</button>
          <span class="who" title={session.scopes.join(", ")}>{session.userName || session.keyName}</span>
          <button class="ghost" type="button" onClick={signOut}>Sign out</button>
        </header>
        {error && (
          <div class="banner error" role="alert">
            <span>{error}</span>
            <button class="ghost" type="button" aria-label="Dismiss" onClick={() => setError("")}>×</button>
          </div>
        )}
        <main>
          <Page route={route} />
        </main>
      </div>
    </AppContext.Provider>
  );
}

function Page({ route }: { route: Route }) {
  switch (route.page) {
    case "gallery":
    case "signin":
      return <Gallery />;
    case "chat":
      return <ChatPage conversationId={route.conversationId} />;
    case "studio":
      return <StudioList />;
    case "character":
      return <CharacterPage characterId={route.characterId} />;
    case "campaigns":
      return <CampaignsPage campaignId={route.campaignId} />;
    case "create":
      return <CreateCharacterPage jobId={route.jobId} />;
    case "jobs":
      return <JobsPage />;
    case "experiments":
      return <ExperimentsPage experimentId={route.experimentId} />;
    case "bias":
      return <BiasPage jobId={route.jobId} />;
    case "agent":
      return <AgentConsole conversationId={route.conversationId} />;
    case "kpis":
      return <KpisPage />;
    case "analytics":
      return <AnalyticsPage topicsJobId={route.topicsJobId} />;
    case "customers":
      return <CustomersPage />;
    case "notfound":
      return <p class="empty">There is no page at {route.path}.</p>;
  }
}

function SignIn({ onSignedIn }: { onSignedIn: (session: Session) => void }) {
  const [key, setKey] = useState("");
  const [endUser, setEndUser] = useState("");
  const [problem, setProblem] = useState("");
  const [busy, setBusy] = useState(false);

  async function submit(event: Event) {
    event.preventDefault();
    setBusy(true);
    setProblem("");
    try {
      const me = await new Api(key.trim(), endUser.trim()).json<Me>("GET", "/api/v1/me");
      onSignedIn({
        key: key.trim(),
        endUser: endUser.trim(),
        scopes: me.key.scopes as Scope[],
        keyName: me.key.name || me.key.prefix,
        userName: me.user?.display_name || me.user?.external_id || "",
      });
    } catch (error) {
      setProblem(error instanceof Error ? error.message : String(error));
    } finally {
      setBusy(false);
    }
  }

  return (
    <form class="signin card" onSubmit={submit}>
      <h1>Sign in to Troupe</h1>
      <p class="hint">Use an API key (<code>troupe keys create</code>). It is kept only in this tab.</p>
      <label>
        API key
        <input name="key" type="password" autocomplete="off" required value={key}
               onInput={(e) => setKey((e.target as HTMLInputElement).value)} />
      </label>
      <label>
        End user <span class="hint">(client keys not bound to a user)</span>
        <input name="end_user" value={endUser} onInput={(e) => setEndUser((e.target as HTMLInputElement).value)} />
      </label>
      {problem && <p class="error" role="alert">{problem}</p>}
      <button type="submit" disabled={busy || !key.trim()}>{busy ? "Signing in…" : "Sign in"}</button>
      <p class="server-model"><ModelStatus verbose /></p>
    </form>
  );
}
