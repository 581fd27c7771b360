import { useQuery } from "@tanstack/react-query";
import { api } from "../api";

const REFRESH_MS = 30_000;

/** Server status in the sidebar: API, database and feature store, and the model version. */
export function HealthBadge() {
  const query = useQuery({ queryKey: ["health"], queryFn: api.health, refetchInterval: REFRESH_MS });
  const health = query.isError ? "down" : query.data;
  if (!health) return null;
  const ok = health !== "down" && health.status === "ok";
  const text =
    health === "down"
      ? "Server unreachable"
      : ok
        ? `Server ok · model ${health.model_version}`
        : `Degraded: database ${health.db}, store ${health.store}`;
  return (
    <p className={`health ${ok ? "health-ok" : "health-bad"}`} role="status" aria-label="Server status">
      <span className="health-dot" aria-hidden="true" />
      {text}
    </p>
  );
}
