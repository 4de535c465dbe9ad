// Who is signed in: the API key (kept in sessionStorage, so it goes with the tab), the end user a
// client key speaks for, and what the key's scopes allow.
export type Scope = "admin" | "studio" | "agent" | "client";

export interface Session {
  key: string;
  endUser: string; // X-Troupe-User for client keys not bound to a user ("" = none)
  scopes: Scope[];
  keyName: string;
  userName: string;
}

export interface Storage {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
  removeItem(key: string): void;
}

const STORAGE_KEY = "troupe.session";

export function loadSession(storage: Storage): Session | null {
  const text = storage.getItem(STORAGE_KEY);
  if (!text) return null;
  try {
    const value = JSON.parse(text) as Partial<Session>;
    if (typeof value.key !== "string" || !Array.isArray(value.scopes)) return null;
    return {
      key: value.key,
      endUser: typeof value.endUser === "string" ? value.endUser : "",
      scopes: value.scopes.filter(isScope),
      keyName: typeof value.keyName === "string" ? value.keyName : "",
      userName: typeof value.userName === "string" ? value.userName : "",
    };
  } catch {
    return null;
  }
}

export function saveSession(storage: Storage, session: Session | null): void {
  if (session) storage.setItem(STORAGE_KEY, JSON.stringify(session));
  else storage.removeItem(STORAGE_KEY);
}

function isScope(value: unknown): value is Scope {
  return value === "admin" || value === "studio" || value === "agent" || value === "client";
}

// The parts of the app a key may use. Admin may use everything.
export interface Abilities {
  chat: boolean;
  studio: boolean;
  agent: boolean;
  kpis: boolean;  // the KPI page: agent and studio keys
}

export function abilitiesOf(scopes: Scope[]): Abilities {
  const has = (scope: Scope) => scopes.includes("admin") || scopes.includes(scope);
  return { chat: has("client") || has("studio"), studio: has("studio"), agent: has("agent"), kpis: has("agent") || has("studio") };
}
