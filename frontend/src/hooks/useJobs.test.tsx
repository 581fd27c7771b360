import { QueryClientProvider } from "@tanstack/react-query";
import { act, renderHook, waitFor } from "@testing-library/react";
import type { ReactNode } from "react";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { Job } from "../api";
import { makeQueryClient } from "../queryClient";
import { job } from "../test-fixtures";
import { useJobs } from "./useJobs";

afterEach(() => vi.unstubAllGlobals());

/** The server's answers to `GET /api/jobs/j1`, in order; the last one repeats. */
function serveJob(answers: Job[]) {
  vi.stubGlobal(
    "fetch",
    vi.fn(async () => new Response(JSON.stringify(answers.length > 1 ? answers.shift() : answers[0]))),
  );
}

const withClient = () => {
  const client = makeQueryClient();
  return ({ children }: { children: ReactNode }) => (
    <QueryClientProvider client={client}>{children}</QueryClientProvider>
  );
};

describe("useJobs", () => {
  it("polls a job until it is done and reports it finished once", async () => {
    serveJob([
      job({ stage: "embedding", progress: 80 }),
      job({ status: "done", stage: "done", progress: 100, song_id: "s1" }),
    ]);
    const onFinish = vi.fn();
    const { result } = renderHook(() => useJobs(onFinish), { wrapper: withClient() });

    act(() => result.current.add([job({ status: "queued", stage: "queued", progress: 0 })]));
    expect(result.current.jobs).toHaveLength(1);
    await waitFor(() => expect(result.current.jobs[0].status).toBe("done"), { timeout: 5000 });

    expect(result.current.jobs[0].song_id).toBe("s1");
    expect(onFinish).toHaveBeenCalledTimes(1);
    expect(onFinish.mock.calls[0][0]).toMatchObject({ id: "j1", status: "done" });
  });

  it("keeps the first answer of a job added twice", () => {
    serveJob([job({})]);
    const { result } = renderHook(() => useJobs(), { wrapper: withClient() });
    act(() => result.current.add([job({ id: "a" }), job({ id: "b" })]));
    act(() => result.current.add([job({ id: "b" }), job({ id: "c" })]));
    expect(result.current.jobs.map((j) => j.id)).toEqual(["c", "a", "b"]);
  });
});
