import { useCallback, useEffect, useRef, useState } from "react";

export interface AsyncState<T> {
  data: T | undefined;
  error: unknown;
  loading: boolean;
  reload: () => void;
  setData: (data: T) => void;
}

/**
 * Runs `load` when `deps` change and keeps the last answer; stale answers from superseded
 * calls are dropped. `reload` runs it again without clearing the current data.
 */
export function useAsync<T>(load: (() => Promise<T>) | null, deps: unknown[]): AsyncState<T> {
  const [data, setData] = useState<T>();
  const [error, setError] = useState<unknown>();
  const [loading, setLoading] = useState(load !== null);
  const [nonce, setNonce] = useState(0);
  const call = useRef(0);

  useEffect(() => {
    if (!load) {
      setLoading(false);
      return;
    }
    const id = ++call.current;
    setLoading(true);
    setError(undefined);
    load().then(
      (value) => {
        if (id !== call.current) return;
        setData(value);
        setLoading(false);
      },
      (err: unknown) => {
        if (id !== call.current) return;
        setError(err);
        setLoading(false);
      },
    );
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [...deps, nonce]);

  const reload = useCallback(() => setNonce((n) => n + 1), []);
  return { data, error, loading, reload, setData };
}
