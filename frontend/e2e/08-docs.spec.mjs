import { expect, test } from "./fixtures.mjs";

// The API docs page runs Swagger UI from local files under the docs page's Content-Security-Policy;
// a blocked script, style or spec fetch would show as a console error (failing the fixture).
test("the API docs page runs Swagger UI under the security headers", async ({ page }) => {
  const answer = await page.goto("/api/docs");
  const headers = answer.headers();
  expect(headers["content-security-policy"]).toContain("frame-ancestors 'none'");
  expect(headers["x-content-type-options"]).toBe("nosniff");
  expect(headers["referrer-policy"]).toBe("no-referrer");
  // Swagger UI's bundle ran (inline start-up script allowed), fetched the spec (OpenAPI 3.0.3,
  // which the bundled Swagger UI 4 renders) and laid out its operations, writes behind the key.
  await expect(page.locator("#swagger-ui .swagger-ui")).toBeAttached();
  await expect(page.getByRole("heading", { name: /Coverscope API/ })).toBeVisible();
  await expect(page.locator(".opblock-summary-path", { hasText: "/api/songs/upload" })).toBeVisible();
  await expect(page.getByRole("button", { name: /Authorize/ })).toBeVisible();
  await expect(page.getByText(/Unable to render this definition/)).toHaveCount(0);
});
