import { useQueries } from "@tanstack/react-query";
import { useCallback, useEffect, useRef, useState } from "react";
import { api, isFinished, type Job } from "../api";

const POLL_MS = 1000;

/**
 * A list of jobs, newest first, each polled (`GET /api/jobs/<id>`) until it is `done` or
 * `failed`. `onFinish` is called once per job when it gets there.
 */
export function useJobs(onFinish?: (job: Job) => void) {
  const [started, setStarted] = useState<Job[]>([]);
  const finished = useRef(new Set<string>());
  const onFinishRef = useRef(onFinish);
  onFinishRef.current = onFinish;

  const add = useCallback((added: Job[]) => {
    setStarted((current) => {
      const known = new Set(current.map((j) => j.id));
      return [...added.filter((j) => !known.has(j.id)), ...current];
    });
  }, []);

  const jobs = useQueries({
    queries: started.map((job) => ({
      queryKey: ["job", job.id],
      queryFn: () => api.getJob(job.id),
      initialData: job,
      refetchInterval: ({ state }: { state: { data?: Job } }) =>
        state.data && isFinished(state.data) ? false : POLL_MS,
    })),
    combine: (results) => results.map((result, i) => result.data ?? started[i]),
  });

  useEffect(() => {
    for (const job of jobs) {
      if (isFinished(job) && !finished.current.has(job.id)) {
        finished.current.add(job.id);
        onFinishRef.current?.(job);
      }
    }
  }, [jobs]);

  return { jobs, add };
}
