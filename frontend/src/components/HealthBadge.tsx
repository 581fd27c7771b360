import { useEffect, useState } from "react";
import { api, type Health } from "../api";

const REFRESH_MS = 30_000;

/** Server status in the sidebar: API, database and feature store, and the model version. */
export function HealthBadge() {
  const [health, setHealth] = useState<Health | "down">();
  useEffect(() => {
    let stale = false;
    const check = () =>
      api.health().then(
        (h) => !stale && setHealth(h),
        () => !stale && setHealth("down"),
      );
    void check();
    const timer = window.setInterval(check, REFRESH_MS);
    return () => {
      stale = true;
      window.clearInterval(timer);
    };
  }, []);

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
