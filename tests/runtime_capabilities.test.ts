// The runtime capabilities in src/runtime, each with a one-time probe and a
// fallback: a Response's static body (Deno's lazy static body, undici 6's
// state), stand-in requests (undici 6's and Deno's symbol-keyed slots), and
// interim responses through node:http's `_writeRaw`. On each runtime the
// probe must report what the runtime really has (the expected table is
// written out per runtime below), and the fallback must give the same
// observable result.
import { test } from "node:test";
import assert from "node:assert/strict";
import http from "node:http";
import net from "node:net";
import type { AddressInfo } from "node:net";
import {
  allowStaticBodySource,
  type ResponseBodySourceKind,
  responseBodySourceKind,
  staticBodySource,
} from "../src/runtime/response_body_source.ts";
import {
  findRequestSlots,
  forwardRequestMembers,
  requestStandInsWork,
  standInBehavesAsRequest,
} from "../src/runtime/request_internals.ts";
import {
  allowRawInterimWrites,
  type InterimWriteOutcome,
  type InterimWritePath,
  interimWritePath,
  rawInterimWritesWork,
  writeInterimToServerResponse,
} from "../src/runtime/server_response_interim.ts";
import { encodeInformational } from "../src/http1/serialize.ts";

const g = globalThis as {
  Deno?: unknown;
  Bun?: unknown;
  process?: { versions?: { node?: string } };
};
/** "deno", "bun", or "node22" / "node24" / "node26". */
const RUNTIME = "Deno" in g
  ? "deno"
  : "Bun" in g
  ? "bun"
  : `node${g.process?.versions?.node?.split(".")[0] ?? "?"}`;

/** What each runtime has: measured on Deno 2.9, Bun 1.4, Node 22.23, 24.21, 26.10. */
const EXPECTED: Record<string, {
  bodySource: ResponseBodySourceKind;
  standIns: boolean;
  interimPath: InterimWritePath;
}> = {
  deno: { bodySource: "deno-lazy-static-body", standIns: true, interimPath: "raw" },
  node22: { bodySource: "undici-state", standIns: true, interimPath: "raw" },
  node24: { bodySource: "none", standIns: false, interimPath: "write-information" },
  node26: { bodySource: "none", standIns: false, interimPath: "write-information" },
  bun: { bodySource: "none", standIns: false, interimPath: "write-information" },
};
const expected = EXPECTED[RUNTIME];

test(`capabilities: ${RUNTIME} is a runtime with a known expectation`, () => {
  assert.ok(expected !== undefined, `no expectation written for ${RUNTIME}`);
});

// --- a Response's static body ------------------------------------------------

test(`static body: the probe finds ${expected?.bodySource} on ${RUNTIME}`, () => {
  assert.equal(responseBodySourceKind(), expected?.bodySource);
});

test("static body: the fast path gives what the stream gives, and the stream still reads the same", async () => {
  const text = "héllo, wörld \u{1F600}";
  const fast = staticBodySource(new Response(text));
  if (expected?.bodySource === "none") assert.equal(fast, undefined);
  else assert.equal(fast, text);

  const bytes = new Uint8Array([0, 1, 2, 255]);
  const fromBytes = staticBodySource(new Response(bytes));
  // Deno keeps strings only; undici keeps the bytes.
  if (expected?.bodySource === "undici-state") assert.deepEqual(fromBytes, bytes);
  else assert.equal(fromBytes, undefined);

  // Reading the slot leaves the response whole: its stream gives the same body.
  const response = new Response(text);
  staticBodySource(response);
  assert.equal(await response.text(), text);
});

test("static body: a response whose stream is read or locked gives nothing", async () => {
  const read = new Response("abc");
  await read.text();
  assert.equal(staticBodySource(read), undefined);
  const locked = new Response("abc");
  locked.body!.getReader();
  assert.equal(staticBodySource(locked), undefined);
  assert.equal(staticBodySource(new Response(new ReadableStream())), undefined);
});

test("static body: the fallback (stream) gives the same bytes as the fast path", async () => {
  const text = "same either way \u00e9";
  const fast = staticBodySource(new Response(text));
  allowStaticBodySource(false);
  try {
    const fallback = new Response(text);
    assert.equal(staticBodySource(fallback), undefined);
    const streamed = new Uint8Array(await fallback.arrayBuffer());
    assert.deepEqual(streamed, new TextEncoder().encode(text));
    if (fast !== undefined) assert.deepEqual(new TextEncoder().encode(fast as string), streamed);
  } finally {
    allowStaticBodySource(true);
  }
});

// --- stand-in requests (the server's lazy request) ---------------------------

/**
 * A stand-in other than the module's own probe: it wraps a request built up
 * front and answers only `signal` and `clone()` itself, so `url`, `method`
 * and `headers` go through the forwarding.
 */
class WrappedRequest {
  readonly #real: Request;
  readonly #abort = new AbortController();
  constructor(real: Request) {
    this.#real = real;
  }
  get signal(): AbortSignal {
    return this.#abort.signal;
  }
  abort(reason: unknown): void {
    this.#abort.abort(reason);
  }
  clone(): Request {
    return new Request(this.#real.clone(), { signal: this.signal });
  }
  static unwrap(self: unknown): Request {
    if (!(self instanceof WrappedRequest)) throw new TypeError("not a wrapped request");
    return self.#real;
  }
}

test(`stand-in requests: the probe says ${expected?.standIns} on ${RUNTIME}`, () => {
  assert.equal(requestStandInsWork(), expected?.standIns);
  // The slots exist exactly where stand-ins work.
  assert.equal(findRequestSlots() !== undefined, expected?.standIns);
});

test("stand-in requests: a stand-in and the fallback (a real Request) look the same to copies", (t) => {
  const slots = findRequestSlots();
  if (slots === undefined) {
    t.skip(`${RUNTIME}: Request keeps no symbol-keyed slots; the server builds real requests`);
    return;
  }
  forwardRequestMembers(WrappedRequest.prototype, WrappedRequest.unwrap, slots);
  const create = (url: string, method: string, fields: [string, string][]) => {
    const standIn = new WrappedRequest(new Request(url, { method, headers: fields }));
    return { request: standIn as unknown as Request, abort: (r: unknown) => standIn.abort(r) };
  };
  assert.equal(standInBehavesAsRequest(create), true);

  const fields: [string, string][] = [["accept", "text/html"], ["x-a", "1"], ["x-a", "2"]];
  const { request: standIn } = create("http://localhost/p?q=1", "DELETE", fields);
  const real = new Request("http://localhost/p?q=1", { method: "DELETE", headers: fields });
  const copies: [string, Request][] = [["stand-in", new Request(standIn)], [
    "real",
    new Request(real),
  ]];
  for (const [label, copy] of copies) {
    assert.equal(copy.url, "http://localhost/p?q=1", label);
    assert.equal(copy.method, "DELETE", label);
    assert.deepEqual([...copy.headers], [["accept", "text/html"], ["x-a", "1, 2"]], label);
  }
  assert.ok(standIn instanceof Request);
});

test("stand-in requests: the probe refuses an object that is not taken as a request", () => {
  assert.equal(
    standInBehavesAsRequest(() => ({ request: {} as Request, abort() {} })),
    false,
  );
});

// --- interim responses through node:http ------------------------------------

const LINK_103: [string, string][] = [
  ["link", "</a.css>; rel=preload; as=style"],
  ["x-hint", "1"],
];

interface Served {
  /** What the client read, as latin1 text. */
  readonly wire: string;
  readonly outcomes: InterimWriteOutcome[];
  readonly path: InterimWritePath;
  readonly rawTrusted: boolean;
}

/** One GET over a raw socket to a node:http server whose handler sends `interims`, then "done". */
async function serveInterims(interims: [number, [string, string][]][]): Promise<Served> {
  const outcomes: InterimWriteOutcome[] = [];
  let path: InterimWritePath = "public";
  let rawTrusted = false;
  const server = http.createServer((req, res) => {
    path = interimWritePath(res);
    rawTrusted = rawInterimWritesWork(res);
    for (const [status, fields] of interims) {
      outcomes.push(writeInterimToServerResponse(res, req, status, fields, encodeInformational));
    }
    res.end("done");
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  try {
    const { port } = server.address() as AddressInfo;
    const wire = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error("no response end within 10 s")), 10_000);
      let text = "";
      const client = net.connect(port, "127.0.0.1", () => {
        client.write("GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
      });
      client.setEncoding("latin1");
      client.on("data", (chunk: string) => (text += chunk));
      client.on("error", reject);
      client.on("close", () => {
        clearTimeout(timer);
        resolve(text);
      });
    });
    return { wire, outcomes, path, rawTrusted };
  } finally {
    server.closeAllConnections?.();
    await new Promise((resolve) => server.close(resolve));
  }
}

/** The heads on the wire: status and lower-cased fields, in order. */
function heads(wire: string): { status: number; fields: [string, string][] }[] {
  const found: { status: number; fields: [string, string][] }[] = [];
  for (const block of wire.split("\r\n\r\n")) {
    const lines = block.split("\r\n");
    const statusLine = /^HTTP\/1\.1 (\d{3})/.exec(lines[0] ?? "");
    if (statusLine === null) continue;
    const fields = lines.slice(1).map((line): [string, string] => {
      const colon = line.indexOf(":");
      return [line.slice(0, colon).toLowerCase(), line.slice(colon + 1).trim()];
    });
    found.push({ status: Number(statusLine[1]), fields });
  }
  return found;
}

test(`interim via node:http: ${RUNTIME} writes through ${expected?.interimPath}, _writeRaw probed trusted`, async () => {
  const served = await serveInterims([[103, LINK_103]]);
  assert.equal(served.path, expected?.interimPath);
  // Every runtime's own 1xx writer goes through _writeRaw today.
  assert.equal(served.rawTrusted, true);
  assert.deepEqual(served.outcomes, ["sent"]);
  const [hint, final] = heads(served.wire);
  assert.equal(hint?.status, 103, served.wire);
  assert.deepEqual(hint?.fields, LINK_103);
  assert.equal(final?.status, 200, served.wire);
  assert.match(served.wire, /done$/);
});

test("interim via node:http: the fallback (public methods) gives the same 103 where it can, says unsupported where not", async (t) => {
  if (expected?.interimPath !== "raw") {
    t.skip(`${RUNTIME} writes through writeInformation; the raw path and its fallback are unused`);
    return;
  }
  const fast = await serveInterims([[103, LINK_103], [103, [["x-only", "1"]]]]);
  allowRawInterimWrites(false);
  let fallback: Served;
  try {
    fallback = await serveInterims([[103, LINK_103], [103, [["x-only", "1"]]]]);
  } finally {
    allowRawInterimWrites(true);
  }
  assert.equal(fallback.path, "public");
  assert.deepEqual(fast.outcomes, ["sent", "sent"]);
  // writeEarlyHints sends a 103 only with a link; anything else is refused, not thrown.
  assert.deepEqual(fallback.outcomes, ["sent", "unsupported"]);
  const fastHeads = heads(fast.wire);
  const fallbackHeads = heads(fallback.wire);
  assert.deepEqual(fallbackHeads[0], fastHeads[0], "the linked 103 is the same either way");
  assert.deepEqual(fastHeads.map((head) => head.status), [103, 103, 200]);
  assert.deepEqual(fallbackHeads.map((head) => head.status), [103, 200]);
});
