/**
 * The parts of `node:http`'s `IncomingMessage`, `ServerResponse` and their
 * socket that the server's `node:http` transport uses, described by shape so
 * that `src/server` drives them without naming `node:` (the objects Node,
 * Deno and Bun hand out satisfy these types as they are, at no cost).
 *
 * @module
 */

/** The connection under a `node:http` exchange. */
export interface HttpSocket {
  readonly remoteAddress?: string | undefined;
  readonly remotePort?: number | undefined;
  readonly destroyed: boolean;
  readonly writableLength: number;
  end(): unknown;
  destroy(): unknown;
  once(event: "drain" | "close", listener: () => void): unknown;
  off(event: "drain" | "close", listener: () => void): unknown;
}

/** A parsed request (`IncomingMessage`). */
export interface HttpIncoming {
  readonly method?: string | undefined;
  readonly url?: string | undefined;
  /** Names and values alternating, as received. */
  readonly rawHeaders: string[];
  readonly headers: Record<string, string | string[] | undefined>;
  readonly httpVersionMajor: number;
  readonly httpVersionMinor: number;
  readonly complete: boolean;
  readonly socket: HttpSocket;
  pause(): unknown;
  resume(): unknown;
  on(event: "data", listener: (chunk: Uint8Array) => void): unknown;
  listeners(event: "data"): unknown[];
  once(event: "end", listener: () => void): unknown;
  once(event: "error", listener: (error: Error) => void): unknown;
}

/** A response being written (`ServerResponse`). */
export interface HttpOutgoing {
  readonly headersSent: boolean;
  readonly destroyed: boolean;
  readonly writableEnded: boolean;
  readonly writableFinished: boolean;
  shouldKeepAlive: boolean;
  /** `fields` as `[name, value]` pairs, one field line each (Node, Deno and Bun take them). */
  writeHead(
    status: number,
    reason: string | undefined,
    fields: readonly (readonly [string, string])[],
  ): unknown;
  write(chunk: Uint8Array, callback?: () => void): boolean;
  end(chunk?: Uint8Array | string): unknown;
  writeContinue(): void;
  writeEarlyHints(hints: Record<string, string | string[]>): void;
  destroy(): unknown;
  on(event: "drain" | "close", listener: () => void): unknown;
  off(event: "drain" | "close", listener: () => void): unknown;
  once(event: "finish" | "close", listener: () => void): unknown;
}
