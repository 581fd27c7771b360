/// <reference types="vitest/config" />
import { defineConfig } from "vite";
import react from "@vitejs/plugin-react";

// The app talks only to /api. In development Vite forwards it to the Flask backend.
const backend = process.env.COVERSCOPE_API ?? "http://127.0.0.1:8000";

export default defineConfig({
  plugins: [react()],
  server: {
    proxy: { "/api": { target: backend, changeOrigin: true } },
  },
  build: { outDir: "dist", sourcemap: false },
  test: {
    environment: "jsdom",
    globals: true,
    include: ["src/**/*.test.{ts,tsx}"],
    setupFiles: ["src/test-setup.ts"],
    // Page tests render the whole app in jsdom: on a loaded 2-core machine one took over
    // vitest's 5 s default. A ceiling against hangs, not a speed check.
    testTimeout: 20_000,
  },
});
