import { createContext, useContext } from "react";
import type { Api } from "./api/client";
import type { ConsoleConfig } from "./config";
import type { Route } from "./lib/route";

export type ConsoleContext = {
  api: Api;
  config: ConsoleConfig;
  navigate: (route: Route, options?: { replace?: boolean }) => void;
};

export const Console = createContext<ConsoleContext | null>(null);

export function useConsole(): ConsoleContext {
  const value = useContext(Console);
  if (!value) throw new Error("useConsole outside the console");
  return value;
}
