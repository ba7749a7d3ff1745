/**
 * The one place where the CLI calls the interim client: one request,
 * interim heads and the final head reported as they arrive, the body streamed.
 * This module is browser compatible.
 *
 * @module
 */

import { Client } from "../../client.ts";

/** A head as reported to the CLI: header fields as ordered pairs. */
export interface CliHead {
  /** The status code. */
  readonly status: number;
  /** The reason phrase. */
  readonly statusText: string;
  /** Header fields in order, one pair per field line. */
  readonly headers: ReadonlyArray<readonly [string, string]>;
  /** The final head's HTTP version (`"2"`, `"1.1"`, `"1.0"`). */
  readonly httpVersion?: string;
}

/** One request as the CLI wants it sent, with callbacks for what arrives. */
export interface CliRequest {
  /** The absolute `http:` or `https:` URL. */
  readonly url: string;
  /** The method. */
  readonly method: string;
  /** Request header fields in order. */
  readonly headers: ReadonlyArray<readonly [string, string]>;
  /** The request body, if any. */
  readonly body?: Uint8Array<ArrayBuffer>;
  /** Connect through this unix socket instead of TCP. */
  readonly unixSocket?: string;
  /** Extra trusted CA certificates (PEM). */
  readonly ca?: string;
  /** Skip certificate verification. */
  readonly insecure: boolean;
  /** Bound on connecting, in milliseconds. */
  readonly connectTimeout?: number;
  /** Bound on the whole exchange, in milliseconds. */
  readonly maxTimeMs?: number;
  /** Called for each interim response, in order. */
  onInformational(head: CliHead): void;
  /** Called once with the final head. */
  onFinal(head: CliHead): void;
  /** Called for each body chunk; a returned promise is awaited before reading on. */
  onBody(chunk: Uint8Array): void | Promise<void>;
}

/**
 * Sends the request, reports what arrives, reads the body to its end and
 * closes the connection.
 *
 * @param request What to send and where to report.
 * @returns Resolves after the body ended; rejects on any failure, with
 * `TimeoutError` when `maxTimeMs` ran out.
 */
export async function sendRequest(request: CliRequest): Promise<void> {
  const client = new Client({
    ...(request.unixSocket !== undefined ? { socketPath: request.unixSocket } : {}),
    tls: {
      ...(request.ca !== undefined ? { ca: request.ca } : {}),
      dangerouslySkipVerification: request.insecure,
    },
    ...(request.connectTimeout !== undefined ? { connectTimeout: request.connectTimeout } : {}),
    // --max-time bounds the whole exchange, so it replaces the client's own
    // wait for the final head (default 300 s) rather than being cut short by it.
    ...(request.maxTimeMs !== undefined ? { headersTimeout: request.maxTimeMs } : {}),
  });
  const signal = request.maxTimeMs !== undefined
    ? AbortSignal.timeout(request.maxTimeMs)
    : undefined;
  try {
    const response = await client.fetch(request.url, {
      method: request.method,
      headers: request.headers.map(([name, value]) => [name, value]),
      ...(request.body !== undefined ? { body: request.body } : {}),
      ...(signal !== undefined ? { signal } : {}),
      onInformational(info) {
        request.onInformational({
          status: info.status,
          statusText: info.statusText,
          headers: info.rawHeaders,
        });
      },
    });
    request.onFinal({
      status: response.status,
      statusText: response.statusText,
      headers: response.rawHeaders,
      httpVersion: response.httpVersion,
    });
    if (response.body !== null) {
      for await (const chunk of response.body) await request.onBody(chunk);
    }
  } finally {
    await client.close();
  }
}
