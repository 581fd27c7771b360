import { expect, test } from "./fixtures.mjs";

// The API docs page runs Swagger UI from local files under the docs page's Content-Security-Policy;
// a blocked script, style or spec fetch would show as a console error (failing the fixture).
test("the API docs render under the security headers", async ({ page }) => {
  const answer = await page.goto("/api/docs");
  const headers = answer.headers();
  expect(headers["content-security-policy"]).toContain("frame-ancestors 'none'");
  expect(headers["x-content-type-options"]).toBe("nosniff");
  expect(headers["referrer-policy"]).toBe("no-referrer");
  await expect(page.getByRole("heading", { name: /Coverscope API/ })).toBeVisible();
  await expect(page.getByText("/api/songs/{song_id}").first()).toBeVisible();
});
