/**
 * Test support: an HTTPS server for the client's TLS tests, run by `node` in
 * a child process whatever runtime runs the test (Bun's `node:https` lacks
 * `getPeerCertificate`, and `node:https` never sends `writeEarlyHints`). It
 * answers every request with a `103` carrying `x-pod-name: tls-pod` and a
 * `200` "secure", and reports each request's SNI name and client
 * certificate.
 *
 * @module
 */

import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";

/** What the server saw of one request. */
export interface TlsRequestSeen {
  /** The SNI server name, or `null`. */
  readonly servername: string | null;
  /** The client certificate's CN, or `null`. */
  readonly clientCn: string | null;
}

/** A running TLS server. */
export interface TlsServer {
  /** `https://127.0.0.1:PORT`, or `https://localhost` on a unix socket. */
  readonly url: string;
  /** Requests seen so far. */
  readonly seen: TlsRequestSeen[];
  /**
   * Resolves with the `index`-th request seen once its report arrived (the
   * child's stdout may lag behind its HTTP response); rejects after 5 s.
   */
  seenAt(index: number): Promise<TlsRequestSeen>;
  /** Stops the child and waits for it. */
  close(): Promise<void>;
}

/** Options of {@linkcode startTlsServer}. */
export interface TlsServerOptions {
  /** Serve the certificate of the untrusted CA instead of the test CA's. */
  readonly untrusted?: boolean;
  /** Require a client certificate signed by the test CA. */
  readonly requireClientCert?: boolean;
  /** Listen on this unix socket path. */
  readonly path?: string;
}

const FIXTURES = fileURLToPath(new URL("../fixtures/tls/", import.meta.url));

const SERVER_SOURCE = `
const https = require("node:https");
const fs = require("node:fs");
const [dir, untrusted, requireCert, path] = process.argv.slice(1);
const prefix = untrusted === "1" ? "test-untrusted-server" : "test-server";
const server = https.createServer({
  cert: fs.readFileSync(dir + prefix + "-cert.pem"),
  key: fs.readFileSync(dir + prefix + "-key.pem"),
  ca: fs.readFileSync(dir + "test-ca-cert.pem"),
  requestCert: requireCert === "1",
  rejectUnauthorized: requireCert === "1",
}, (req, res) => {
  const peer = req.socket.getPeerCertificate();
  console.log("request " + JSON.stringify({
    servername: req.socket.servername || null,
    clientCn: peer && peer.subject ? peer.subject.CN : null,
  }));
  req.socket.write("HTTP/1.1 103 Early Hints\\r\\nx-pod-name: tls-pod\\r\\n\\r\\n");
  res.end("secure");
});
server.on("tlsClientError", () => {});
const announce = () => console.log("listening " + (path || server.address().port));
if (path) server.listen(path, announce); else server.listen(0, "127.0.0.1", announce);
process.stdin.on("end", () => process.exit(0));
process.stdin.resume();
`;

/**
 * Starts the server.
 *
 * @param options Certificate, client-certificate and address choices.
 * @returns The server; always `await server.close()` in `finally`.
 */
export async function startTlsServer(options: TlsServerOptions = {}): Promise<TlsServer> {
  const child = spawn("node", [
    "-e",
    SERVER_SOURCE,
    FIXTURES,
    options.untrusted ? "1" : "0",
    options.requireClientCert ? "1" : "0",
    options.path ?? "",
  ], { stdio: ["pipe", "pipe", "pipe"] });
  child.stdin.on("error", () => {});
  const exited = new Promise<void>((resolve) => child.once("close", () => resolve()));
  const seen: TlsRequestSeen[] = [];
  let onSeen: (() => void) | undefined;
  let stderr = "";
  child.stderr.setEncoding("utf8");
  child.stderr.on("data", (chunk: string) => stderr += chunk);
  const close = async () => {
    child.stdin.end();
    const timer = setTimeout(() => child.kill("SIGKILL"), 3_000);
    await exited;
    clearTimeout(timer);
  };
  try {
    const address = await new Promise<string>((resolve, reject) => {
      let partial = "";
      const timer = setTimeout(
        () => reject(new Error(`TLS server did not start: ${stderr}`)),
        10_000,
      );
      child.once("close", () => reject(new Error(`TLS server exited: ${stderr}`)));
      child.stdout.setEncoding("utf8");
      child.stdout.on("data", (chunk: string) => {
        partial += chunk;
        const lines = partial.split("\n");
        partial = lines.pop()!;
        for (const line of lines) {
          if (line.startsWith("listening ")) {
            clearTimeout(timer);
            resolve(line.slice("listening ".length));
          } else if (line.startsWith("request ")) {
            seen.push(JSON.parse(line.slice("request ".length)) as TlsRequestSeen);
            onSeen?.();
          }
        }
      });
    });
    const url = options.path !== undefined ? "https://localhost" : `https://127.0.0.1:${address}`;
    const seenAt = async (index: number): Promise<TlsRequestSeen> => {
      const deadline = Date.now() + 5_000;
      while (seen.length <= index) {
        if (Date.now() > deadline) {
          throw new Error(`TLS server reported ${seen.length} requests, not ${index + 1}`);
        }
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, 50);
          onSeen = () => {
            clearTimeout(timer);
            resolve();
          };
        });
      }
      return seen[index]!;
    };
    return { url, seen, seenAt, close };
  } catch (error) {
    await close();
    throw error;
  }
}
