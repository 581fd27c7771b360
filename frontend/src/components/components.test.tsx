import { fireEvent, render, screen } from "@testing-library/react";
import { describe, expect, it, vi } from "vitest";
import { job } from "../test-fixtures";
import { isPlaylist, parseUrls } from "../pages/Add";
import { BenchmarkTable } from "./BenchmarkTable";
import { JobCard } from "./JobCard";
import { ConfirmDialog } from "./Modal";
import { ErrorBox } from "./Status";
import { ApiError } from "../api";

describe("JobCard", () => {
  it("shows progress and stage", () => {
    render(
      <ul>
        <JobCard job={job({})} />
      </ul>,
    );
    const bar = screen.getByRole("progressbar");
    expect(bar.getAttribute("aria-valuenow")).toBe("42");
    expect(screen.getByText(/Extracting chroma features · 42%/)).toBeTruthy();
  });
  it("explains a failure in plain words", () => {
    render(
      <ul>
        <JobCard job={job({ status: "failed", stage: "failed", error: "The video is private." })} />
      </ul>,
    );
    expect(screen.getByText(/The video is private\. Check the source/)).toBeTruthy();
  });
});

describe("ConfirmDialog", () => {
  it("is a labelled dialog that confirms or cancels", () => {
    const onConfirm = vi.fn();
    const onCancel = vi.fn();
    render(
      <ConfirmDialog
        title="Delete song?"
        message="Sure?"
        confirmLabel="Delete"
        onConfirm={onConfirm}
        onCancel={onCancel}
      />,
    );
    const dialog = screen.getByRole("dialog", { name: "Delete song?" });
    expect(dialog).toBeTruthy();
    fireEvent.click(screen.getByRole("button", { name: "Delete" }));
    expect(onConfirm).toHaveBeenCalledOnce();
    fireEvent.keyDown(document, { key: "Escape" });
    expect(onCancel).toHaveBeenCalledOnce();
  });
});

describe("Modal focus", () => {
  it("keeps Tab inside the dialog", () => {
    render(
      <ConfirmDialog
        title="Delete song?"
        message="Sure?"
        confirmLabel="Delete"
        onConfirm={() => undefined}
        onCancel={() => undefined}
      />,
    );
    const close = screen.getByRole("button", { name: "Close" });
    const confirm = screen.getByRole("button", { name: "Delete" });
    confirm.focus();
    fireEvent.keyDown(document, { key: "Tab" });
    expect(document.activeElement).toBe(close);
    fireEvent.keyDown(document, { key: "Tab", shiftKey: true });
    expect(document.activeElement).toBe(confirm);
  });
});

describe("ErrorBox", () => {
  it("shows the API message and what to do next", () => {
    render(<ErrorBox error={new ApiError("unauthorized", "Needs a key.", 401)} />);
    expect(screen.getByRole("alert").textContent).toMatch(/Needs a key\..*API key/);
  });
});

describe("Add helpers", () => {
  it("splits pasted URLs and drops duplicates", () => {
    expect(parseUrls("https://a\nhttps://b, https://a  https://c")).toEqual([
      "https://a",
      "https://b",
      "https://c",
    ]);
  });
  it("recognises playlists", () => {
    expect(isPlaylist("https://www.youtube.com/playlist?list=PL123")).toBe(true);
    expect(isPlaylist("https://www.youtube.com/watch?v=abc&list=PL123")).toBe(false);
    expect(isPlaylist("not a url")).toBe(false);
  });
});

describe("BenchmarkTable", () => {
  it("shows one row per evaluation run with its headline metrics", () => {
    render(
      <BenchmarkTable
        benchmarks={{
          "covers80-hybrid": { tracks: 160, MAP: 0.8123, MR1: 4.25, "ROC-AUC": 0.95, timings: { wall_s: 3 } },
        }}
      />,
    );
    const table = screen.getByRole("table", { name: "Benchmark figures" });
    expect(table.textContent).toContain("covers80-hybrid");
    expect(table.textContent).toContain("0.812");
    expect(table.textContent).toContain("4.3");
  });
  it("falls back to a listing for other shapes", () => {
    render(<BenchmarkTable benchmarks={{ note: "not yet evaluated" }} />);
    expect(screen.queryByRole("table")).toBeNull();
    expect(screen.getByText("not yet evaluated")).toBeTruthy();
  });
});
