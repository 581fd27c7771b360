import { QueryClient } from "@tanstack/react-query";
import { busyDelay, retryWhenBusy } from "./api";

/**
 * The app's query cache (TanStack Query). A failed read is retried only when the server said it
 * was busy (429 with `Retry-After`: a pair check or re-rank while its pool is full), after the
 * wait it asked for; any other error shows at once with a "Try again" button. Writes are never
 * retried behind the user's back.
 */
export function makeQueryClient(): QueryClient {
  return new QueryClient({
    defaultOptions: {
      queries: { retry: retryWhenBusy, retryDelay: busyDelay, refetchOnWindowFocus: false },
      mutations: { retry: false },
    },
  });
}
