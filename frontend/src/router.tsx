/**
 * A tiny hash router: `#/rank?song=42` -> { path: "/rank", params: {song: "42"} }.
 * Hash routes work behind any static server (Flask, nginx) without rewrite rules.
 */
import { useEffect, useState, type AnchorHTMLAttributes } from "react";

export interface Route {
  path: string;
  params: URLSearchParams;
}

export function parseHash(hash: string): Route {
  const raw = hash.replace(/^#/, "") || "/";
  const [path, query = ""] = raw.split("?", 2);
  return { path: path || "/", params: new URLSearchParams(query) };
}

export function href(path: string, params?: Record<string, string | undefined>): string {
  const query = new URLSearchParams();
  for (const [key, value] of Object.entries(params ?? {})) if (value) query.set(key, value);
  const text = query.toString();
  return `#${path}${text ? `?${text}` : ""}`;
}

export function navigate(path: string, params?: Record<string, string | undefined>): void {
  window.location.hash = href(path, params);
}

export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseHash(window.location.hash));
  useEffect(() => {
    const onChange = () => setRoute(parseHash(window.location.hash));
    window.addEventListener("hashchange", onChange);
    return () => window.removeEventListener("hashchange", onChange);
  }, []);
  return route;
}

interface LinkProps extends AnchorHTMLAttributes<HTMLAnchorElement> {
  to: string;
  params?: Record<string, string | undefined>;
}

export function Link({ to, params, ...rest }: LinkProps) {
  return <a href={href(to, params)} {...rest} />;
}
