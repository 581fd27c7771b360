import { QueryClient } from "@tanstack/react-query";

/**
 * The app's query cache (TanStack Query). Failed requests are not retried behind the user's back:
 * each page shows the API's error with a "Try again" button instead.
 */
export function makeQueryClient(): QueryClient {
  return new QueryClient({
    defaultOptions: {
      queries: { retry: false, refetchOnWindowFocus: false },
      mutations: { retry: false },
    },
  });
}
