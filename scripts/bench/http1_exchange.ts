/**
 * One HTTP/1.1 request with `node:http`, recording every interim response
 * (its `information` event) and the final one: what the proxy and learned
 * sections check on each server before loading it, since `hey` counts only
 * final responses (Go's `net/http` client reads a 1xx and waits for the
 * next) and so cannot tell a server that relays a `103` from one that drops
 * it.
 *
 * @module
 */

import http from "node:http";

/** What one exchange showed. */
export interface ObservedExchange {
  /** The interim statuses, in order. */
  readonly interim: readonly number[];
  /** The `link` field of each interim response (`""` when it had none). */
  readonly interimLinks: readonly string[];
  readonly status: number;
  readonly body: string;
}

/**
 * Makes one keep-alive-free GET and records what came back.
 *
 * @param port The server's port on 127.0.0.1.
 * @param urlPath The path.
 * @param headers Request fields (e.g. `sec-fetch-mode: navigate`).
 * @returns The interim statuses and links, the final status and body.
 * @throws {Error} When the request fails or takes over 10 s.
 *
 * @example
 * ```ts
 * const seen = await observeExchange(8080, "/hint");
 * console.log(seen.interim); // [103]
 * ```
 */
export function observeExchange(
  port: number,
  urlPath: string,
  headers: Record<string, string> = {},
): Promise<ObservedExchange> {
  return new Promise((resolve, reject) => {
    const interim: number[] = [];
    const interimLinks: string[] = [];
    const request = http.request({
      host: "127.0.0.1",
      port,
      path: urlPath,
      headers: { ...headers, connection: "close" },
      agent: false,
      timeout: 10_000,
    });
    request.on("information", (info) => {
      interim.push(info.statusCode);
      const link = info.headers.link;
      interimLinks.push(Array.isArray(link) ? link.join(", ") : link ?? "");
    });
    request.on("timeout", () => request.destroy(new Error(`${urlPath}: no answer within 10 s`)));
    request.on("error", reject);
    request.on("response", (response) => {
      let body = "";
      response.setEncoding("utf8");
      response.on("data", (chunk: string) => (body += chunk));
      response.on("error", reject);
      response.on(
        "end",
        () => resolve({ interim, interimLinks, status: response.statusCode ?? 0, body }),
      );
    });
    request.end();
  });
}

/**
 * A one-line account of an exchange, e.g. `103 → 200 "hint"`.
 *
 * @param seen The exchange.
 * @returns The interim statuses, the final status and the start of the body.
 *
 * @example
 * ```ts
 * describeExchange({ interim: [], interimLinks: [], status: 200, body: "plain" }); // '200 "plain"'
 * ```
 */
export function describeExchange(seen: ObservedExchange): string {
  const body = seen.body.length > 20 ? `${seen.body.slice(0, 20)}…` : seen.body;
  return [...seen.interim.map(String), `${seen.status} "${body}"`].join(" → ");
}
