import { act, fireEvent, render, screen } from "@testing-library/react";
import { afterEach, describe, expect, it } from "vitest";
import { UNAUTHORIZED_EVENT, getApiKey } from "../api";
import { Settings } from "./Settings";
import { ToastProvider } from "./Toasts";

afterEach(() => localStorage.clear());

describe("Sign in", () => {
  it("opens with the key field focused when the server answers 401, and keeps the key", () => {
    render(
      <ToastProvider>
        <Settings />
      </ToastProvider>,
    );
    const panel = screen.getByText("Sign in", { selector: "summary" }).closest("details")!;
    expect(panel.open).toBe(false);
    act(() => {
      window.dispatchEvent(new Event(UNAUTHORIZED_EVENT));
    });
    expect(panel.open).toBe(true);
    const field = screen.getByLabelText("API key");
    expect(document.activeElement).toBe(field);
    expect(screen.getByRole("status").textContent).toMatch(/asks for its API key/);
    fireEvent.change(field, { target: { value: " pasted-key " } });
    fireEvent.click(screen.getByRole("button", { name: "Sign in" }));
    expect(getApiKey()).toBe("pasted-key");
  });
});
