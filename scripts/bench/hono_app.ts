/**
 * The Hono app of the Hono-app rows (issue 13): what a Hono user serves, the
 * same on every server so only the server differs.
 *
 * - `GET /plain`: `c.text("plain")`;
 * - `GET /user/:id`: `c.json({ id, name })` from the route parameter;
 * - `GET /hint`: the given early-hints middleware (a `103` with one `link`),
 *   then `c.text("hint")`.
 *
 * @module
 */

import { Hono, type MiddlewareHandler } from "hono";

/** The `link` of the `103` on `/hint`. */
export const HINT_LINK = "</style.css>; rel=preload; as=style";

/** The paths the bench requests (a concrete `/user/:id`). */
export const HONO_PATHS = ["/hint", "/plain", "/user/42"] as const;

/**
 * Builds the app.
 *
 * @param hints The middleware that sends the `103` on `/hint`: ours
 *   (`earlyHints` of `@interim/http/server`) or `@hono/node-server`'s.
 * @returns A Hono app; serve `app.fetch`.
 *
 * @example Under our server
 * ```ts
 * import { earlyHints, serve } from "../../server.ts";
 * const app = honoApp(earlyHints({ link: HINT_LINK }) as unknown as MiddlewareHandler);
 * const server = await serve(app.fetch, { hostname: "127.0.0.1", port: 0 });
 * await server.shutdown();
 * ```
 */
export function honoApp(hints: MiddlewareHandler): Hono {
  const app = new Hono();
  app.get("/plain", (c) => c.text("plain"));
  app.get("/user/:id", (c) => {
    const id = c.req.param("id");
    return c.json({ id, name: `user ${id}` });
  });
  app.get("/hint", hints, (c) => c.text("hint"));
  return app;
}
