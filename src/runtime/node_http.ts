/**
 * A `node:http` (or `node:https`) listener for the server's `node:http`
 * transport (`serve(..., { adapter: "node-http" })`): it binds, tracks the
 * sockets, and hands each parsed request and its response to the server as
 * {@linkcode HttpIncoming} and {@linkcode HttpOutgoing}. The exchange itself
 * is the server's (src/server/node_http_server.ts). Runs on Node, Deno and
 * Bun, which all ship `node:http`.
 *
 * @module
 */

import type { IncomingMessage, Server as HttpServer, ServerResponse } from "node:http";
import type { Socket as NetSocket } from "node:net";
import type { HttpIncoming, HttpOutgoing, HttpSocket } from "./http_message.ts";
import { toSocketError } from "./socket_error.ts";
import type { SocketAddress } from "./types.ts";

/** How to bind and what `node:http` applies itself. */
export interface NodeHttpListenOptions {
  readonly hostname?: string | undefined;
  readonly port?: number | undefined;
  /** A unix socket path instead of a TCP address. */
  readonly path?: string | undefined;
  /** PEM certificate chain and key: serve `https`. */
  readonly cert?: string | undefined;
  readonly key?: string | undefined;
  /** The head's size limit (`maxHeaderSize`). */
  readonly maxHeaderBytes: number;
  /** `headersTimeout`, in milliseconds. */
  readonly headersTimeout: number;
  /** `keepAliveTimeout`, in milliseconds. */
  readonly idleTimeout: number;
}

/**
 * A request: `expectContinue` is true when it came through `checkContinue`
 * (no `100 Continue` has been sent).
 */
export type NodeHttpRequestHandler = (
  incoming: HttpIncoming,
  outgoing: HttpOutgoing,
  expectContinue: boolean,
) => void;

/**
 * node:http could not parse the rest of a request whose response is not
 * written yet (a malformed chunked body): return `true` when the server
 * answers it (the handler's body read fails), `false` to close at once.
 */
export type NodeHttpClientErrorHandler = (outgoing: HttpOutgoing, error: Error) => boolean;

/** A bound `node:http` server. */
export interface NodeHttpListener {
  /** The bound address. */
  readonly addr: SocketAddress;
  /** `"http"` or `"https"`. */
  readonly scheme: string;
  /** The open connections. */
  readonly sockets: ReadonlySet<HttpSocket>;
  /** Stops accepting; `done` runs once every connection has closed. */
  close(done: () => void): void;
}

/** node:http's statuses for a request it could not parse, as its default handler has them. */
const CLIENT_ERROR_STATUS: Readonly<Record<string, string>> = {
  HPE_HEADER_OVERFLOW: "431 Request Header Fields Too Large",
  HPE_INVALID_VERSION: "505 HTTP Version Not Supported",
  ERR_HTTP_REQUEST_TIMEOUT: "408 Request Timeout",
};

/**
 * A request node:http could not parse: answered as node:http's default
 * handler would, except for bytes after a request that asked to close
 * (HTTP/1.0 without keep-alive, `Connection: close`), which a server ignores
 * (RFC 9112 section 9.6) rather than answer 400 before the response it owes.
 */
function onClientError(
  error: Error & { code?: string },
  socket: NetSocket,
  inRequest: NodeHttpClientErrorHandler | undefined,
): void {
  if (error.code === "HPE_CLOSED_CONNECTION" || error.code === "ECONNRESET") {
    if (error.code === "ECONNRESET") socket.destroy();
    return;
  }
  // node:http's own handler looks here too: the response being written.
  const pending = (socket as unknown as { _httpMessage?: HttpOutgoing | null })._httpMessage;
  if (pending !== undefined && pending !== null) {
    const answered = socket.writable && !pending.headersSent && inRequest !== undefined &&
      inRequest(pending, error);
    if (!answered) socket.destroy();
    return;
  }
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  if (error.code === "ERR_HTTP_REQUEST_TIMEOUT" && socket.bytesRead === 0) {
    // Nothing was sent: nobody to answer (as the engine closes an idle connection).
    socket.destroy();
    return;
  }
  const status = CLIENT_ERROR_STATUS[error.code ?? ""] ?? "400 Bad Request";
  socket.end(`HTTP/1.1 ${status}\r\nconnection: close\r\n\r\n`);
}

/**
 * Binds a `node:http` server.
 *
 * @param options Where to bind and the limits `node:http` applies.
 * @param onRequest Called for each request, in the order `node:http` parsed them.
 * @param onRequestError Called when the rest of a request in progress cannot be parsed.
 * @returns The listener once bound.
 * @throws {SocketError} When the address cannot be bound.
 */
export async function listenNodeHttp(
  options: NodeHttpListenOptions,
  onRequest: NodeHttpRequestHandler,
  onRequestError?: NodeHttpClientErrorHandler,
): Promise<NodeHttpListener> {
  const tls = options.cert !== undefined && options.key !== undefined;
  const serverOptions = {
    maxHeaderSize: options.maxHeaderBytes,
    noDelay: true,
    // node:http checks headersTimeout only this often (30 s by default).
    connectionsCheckingInterval: Math.max(50, Math.min(1000, options.headersTimeout / 4)),
  };
  let server: HttpServer;
  if (tls) {
    const https = await import("node:https");
    server = https.createServer({ ...serverOptions, cert: options.cert, key: options.key });
  } else {
    const http = await import("node:http");
    server = http.createServer(serverOptions);
  }
  server.headersTimeout = options.headersTimeout;
  server.keepAliveTimeout = options.idleTimeout;
  server.on(
    "clientError",
    (error: Error, socket: NetSocket) => onClientError(error, socket, onRequestError),
  );
  // No tunnels: CONNECT is answered as the engine answers it.
  server.on("connect", (_request: IncomingMessage, socket: NetSocket) => {
    socket.end(
      "HTTP/1.1 501 Not Implemented\r\ncontent-type: text/plain; charset=utf-8\r\n" +
        "content-length: 4\r\nconnection: close\r\n\r\n501\n",
    );
  });
  const sockets = new Set<HttpSocket>();
  server.on("connection", (socket: NetSocket) => {
    socket.setNoDelay(true);
    sockets.add(socket);
    socket.once("close", () => sockets.delete(socket));
  });
  const handle = (incoming: IncomingMessage, outgoing: ServerResponse, expect: boolean) =>
    onRequest(incoming as unknown as HttpIncoming, outgoing as unknown as HttpOutgoing, expect);
  server.on("request", (incoming, outgoing) => handle(incoming, outgoing, false));
  // Expect: 100-continue is the server's to answer (when the handler reads the body).
  server.on("checkContinue", (incoming, outgoing) => handle(incoming, outgoing, true));
  const addr = await new Promise<SocketAddress>((resolve, reject) => {
    // A SocketError (EADDRINUSE, EACCES...), as the socket adapters reject with.
    const where = options.path ?? `${options.hostname ?? "0.0.0.0"}:${options.port ?? 8000}`;
    const onError = (error: Error) => reject(toSocketError(error, `listen ${where}`));
    server.once("error", onError);
    const bound = () => {
      server.off("error", onError);
      const address = server.address();
      if (typeof address === "string") resolve({ transport: "unix", path: address });
      else if (address !== null) {
        resolve({ transport: "tcp", hostname: address.address, port: address.port });
      } else resolve({ transport: "unix", path: options.path ?? "" });
    };
    if (options.path !== undefined) server.listen(options.path, bound);
    else server.listen(options.port ?? 8000, options.hostname ?? "0.0.0.0", bound);
  });
  return {
    addr,
    scheme: tls ? "https" : "http",
    sockets,
    close(done) {
      server.close(() => done());
    },
  };
}
