import { expect, test } from "./fixtures.mjs";

// The API docs page runs Swagger UI from local files under the docs page's Content-Security-Policy;
// a blocked script, style or spec fetch would show as a console error (failing the fixture).
test("the API docs page runs Swagger UI under the security headers", async ({ page }) => {
  const answer = await page.goto("/api/docs");
  const headers = answer.headers();
  expect(headers["content-security-policy"]).toContain("frame-ancestors 'none'");
  expect(headers["x-content-type-options"]).toBe("nosniff");
  expect(headers["referrer-policy"]).toBe("no-referrer");
  // Swagger UI's bundle ran (inline start-up script allowed) and fetched the spec. (Swagger UI
  // 4.15 from swagger-ui-bundle cannot render OpenAPI 3.1 yet: it says so in its own layout.)
  await expect(page.locator("#swagger-ui .swagger-ui")).toBeAttached();
  await expect(page.getByRole("heading").first()).toBeVisible();
});
