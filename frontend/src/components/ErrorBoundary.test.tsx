import { fireEvent, render, screen } from "@testing-library/react";
import { useState } from "react";
import { afterEach, describe, expect, it, vi } from "vitest";
import { ErrorBoundary } from "./ErrorBoundary";

function Bomb({ explode }: { explode: boolean }) {
  if (explode) throw new Error("Cannot read properties of null (reading 'toFixed')");
  return <p>All fine</p>;
}

afterEach(() => vi.restoreAllMocks());

describe("ErrorBoundary", () => {
  it("shows a readable error and a way back instead of a blank page", () => {
    vi.spyOn(console, "error").mockImplementation(() => undefined);
    vi.spyOn(console, "warn").mockImplementation(() => undefined);
    render(
      <div>
        <nav aria-label="Main">sidebar</nav>
        <ErrorBoundary>
          <Bomb explode />
        </ErrorBoundary>
      </div>,
    );
    const alert = screen.getByRole("alert");
    expect(alert.textContent).toContain("Something went wrong on this page");
    expect(alert.textContent).toContain("reading 'toFixed'");
    expect(screen.getByRole("link", { name: "Back to home" }).getAttribute("href")).toBe("#/");
    expect(screen.getByRole("navigation", { name: "Main" })).toBeTruthy();
  });

  it("renders the page again after Try again once the cause is gone", () => {
    vi.spyOn(console, "error").mockImplementation(() => undefined);
    vi.spyOn(console, "warn").mockImplementation(() => undefined);
    function Harness() {
      const [explode, setExplode] = useState(true);
      return (
        <>
          <button type="button" onClick={() => setExplode(false)}>
            Fix
          </button>
          <ErrorBoundary>
            <Bomb explode={explode} />
          </ErrorBoundary>
        </>
      );
    }
    render(<Harness />);
    fireEvent.click(screen.getByRole("button", { name: "Fix" }));
    fireEvent.click(screen.getByRole("button", { name: "Try again" }));
    expect(screen.getByText("All fine")).toBeTruthy();
  });

  it("clears the error when the route changes", () => {
    vi.spyOn(console, "error").mockImplementation(() => undefined);
    vi.spyOn(console, "warn").mockImplementation(() => undefined);
    const { rerender } = render(
      <ErrorBoundary resetKey="/check?a=1&b=2">
        <Bomb explode />
      </ErrorBoundary>,
    );
    expect(screen.getByRole("alert")).toBeTruthy();
    rerender(
      <ErrorBoundary resetKey="/library?">
        <Bomb explode={false} />
      </ErrorBoundary>,
    );
    expect(screen.getByText("All fine")).toBeTruthy();
  });
});
