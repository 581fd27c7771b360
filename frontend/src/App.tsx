import { useEffect, useState, type ComponentType } from "react";
import { ErrorBoundary } from "./components/ErrorBoundary";
import { HealthBadge } from "./components/HealthBadge";
import { Settings } from "./components/Settings";
import { AddPage } from "./pages/Add";
import { CheckPage } from "./pages/Check";
import { DashboardPage } from "./pages/Dashboard";
import { LibraryPage } from "./pages/Library";
import { MapPage } from "./pages/Map";
import { ModelPage } from "./pages/Model";
import { NotFoundPage } from "./pages/NotFound";
import { RankPage } from "./pages/Rank";
import { Link, useRoute, type Route } from "./router";

interface Page {
  path: string;
  label: string;
  icon: string;
  component: ComponentType<{ route: Route }>;
}

export const PAGES: Page[] = [
  { path: "/", label: "Home", icon: "⌂", component: DashboardPage },
  { path: "/library", label: "Library", icon: "♫", component: LibraryPage },
  { path: "/add", label: "Add songs", icon: "+", component: AddPage },
  { path: "/check", label: "Cover check", icon: "⇄", component: CheckPage },
  { path: "/rank", label: "Rank", icon: "≡", component: RankPage },
  { path: "/model", label: "Model", icon: "◎", component: ModelPage },
  { path: "/map", label: "Map", icon: "⁘", component: MapPage },
];

export function App() {
  const route = useRoute();
  const [menuOpen, setMenuOpen] = useState(false);
  const page = PAGES.find((p) => p.path === route.path);
  const Component = page?.component ?? NotFoundPage;

  useEffect(() => {
    setMenuOpen(false);
    document.title = page ? `${page.label} · Coverscope` : "Coverscope";
  }, [route.path, page]);

  return (
    <div className="shell">
      <a
        className="skip-link"
        href="#main"
        onClick={(e) => {
          e.preventDefault();
          document.getElementById("main")?.focus();
        }}
      >
        Skip to content
      </a>
      <header className="sidebar">
        <div className="brand-row">
          <Link to="/" className="brand" aria-label="Coverscope home">
            <span className="brand-mark" aria-hidden="true">
              ◉
            </span>{" "}
            Coverscope
          </Link>
          <button
            type="button"
            className="button menu-button"
            aria-expanded={menuOpen}
            aria-controls="main-nav"
            onClick={() => setMenuOpen((open) => !open)}
          >
            Menu
          </button>
        </div>
        <nav id="main-nav" aria-label="Main" className={menuOpen ? "open" : undefined}>
          <ul>
            {PAGES.map((p) => (
              <li key={p.path}>
                <Link to={p.path} aria-current={p.path === route.path ? "page" : undefined}>
                  <span className="nav-icon" aria-hidden="true">
                    {p.icon}
                  </span>
                  {p.label}
                </Link>
              </li>
            ))}
          </ul>
          <a className="api-docs" href="/api/docs" target="_blank" rel="noreferrer">
            API docs ↗
          </a>
          <Settings />
          <HealthBadge />
        </nav>
      </header>
      <main id="main" tabIndex={-1}>
        <ErrorBoundary resetKey={`${route.path}?${route.params}`}>
          <Component key={route.path} route={route} />
        </ErrorBoundary>
      </main>
    </div>
  );
}
