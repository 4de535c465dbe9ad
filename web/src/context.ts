import { createContext } from "preact";
import { useContext } from "preact/hooks";
import type { Api } from "./lib/api";
import type { Route } from "./lib/route";
import type { Session } from "./lib/session";

export interface AppServices {
  api: Api;
  session: Session;
  navigate: (route: Route) => void;
  report: (problem: unknown) => void; // shows a readable message in the banner
  clearError: () => void;
}

export const AppContext = createContext<AppServices | null>(null);

export function useApp(): AppServices {
  const services = useContext(AppContext);
  if (!services) throw new Error("useApp outside the signed-in app");
  return services;
}
