import { useCallback, useEffect, useRef, useState } from "react";
import { api, isFinished, type Job } from "../api";

const POLL_MS = 1000;

/**
 * A list of jobs kept fresh by polling `GET /api/jobs/<id>` for the unfinished ones.
 * `onFinish` is called once per job when it reaches `done` or `failed`.
 */
export function useJobs(onFinish?: (job: Job) => void) {
  const [jobs, setJobs] = useState<Job[]>([]);
  const finished = useRef(new Set<string>());
  const onFinishRef = useRef(onFinish);
  onFinishRef.current = onFinish;

  const add = useCallback((added: Job[]) => {
    setJobs((current) => {
      const known = new Set(current.map((j) => j.id));
      return [...added.filter((j) => !known.has(j.id)), ...current];
    });
  }, []);

  const pending = jobs.filter((j) => !isFinished(j)).map((j) => j.id);
  const pendingKey = pending.join(",");

  useEffect(() => {
    if (!pendingKey) return;
    let cancelled = false;
    const ids = pendingKey.split(",");
    let timer = 0;
    const poll = async () => {
      const fresh = await Promise.all(ids.map((id) => api.getJob(id).catch(() => null)));
      if (cancelled) return;
      const byId = new Map(fresh.filter((j): j is Job => j !== null).map((j) => [j.id, j]));
      setJobs((current) => current.map((j) => byId.get(j.id) ?? j));
      timer = window.setTimeout(poll, POLL_MS);
    };
    timer = window.setTimeout(poll, POLL_MS / 2);
    return () => {
      cancelled = true;
      window.clearTimeout(timer);
    };
  }, [pendingKey]);

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
