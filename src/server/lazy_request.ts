/**
 * The `Request` handed to handlers where the runtime lets us defer building
 * one: an object whose prototype chain holds `Request.prototype`, that
 * answers `url` and `method` from the parsed head and builds the real
 * `Request` only when anything else is read (`headers`, the body, `clone()`).
 * Most handlers route on the URL and method alone; on Node a `Request` costs
 * about 4 µs (undici makes every request an `AbortController` whose signal
 * Node 20 makes transferable), on Deno about 2 µs.
 *
 * It is used only where the runtime's `Request` keeps its state behind
 * symbol-keyed properties (undici, Deno): those are forwarded to the built
 * request, so `new Request(request)` and `fetch(request)` copy it as they
 * would a real one. A probe checks that once; elsewhere (Bun's native
 * `Request`) the server builds an {@linkcode IncomingRequest} at once. This
 * module is browser compatible.
 *
 * @module
 */

import type { HeaderList } from "../http1/types.ts";
import type { InterimTarget } from "./interim_target.ts";
import { LazySignal } from "./lazy_signal.ts";

type Indexable = Record<PropertyKey, unknown>;

/**
 * A server request built on demand; typed as a `Request` for handlers.
 *
 * @example Reading the URL builds nothing; reading the headers builds the request
 * ```ts
 * import { LazyRequest, lazyRequestsWork } from "./lazy_request.ts";
 * if (lazyRequestsWork()) {
 *   const request = new LazyRequest("http://localhost/a", "GET", [["accept", "*\/*"]], undefined);
 *   console.assert(request.url === "http://localhost/a");
 *   console.assert(request.headers.get("accept") === "*\/*");
 * }
 * ```
 */
export class LazyRequest {
  /** The exchange that can send interim responses for this request. */
  interimTarget: InterimTarget | undefined;
  readonly #url: string;
  readonly #method: string;
  readonly #fields: HeaderList;
  readonly #body: ReadableStream<Uint8Array> | undefined;
  #real: Request | undefined;
  #abort: LazySignal | undefined;

  /**
   * Holds what the request is built from.
   *
   * @param url The absolute URL, already as `Request.url` would give it.
   * @param method The method, already normalised as `Request` does.
   * @param fields The header fields in order.
   * @param body The body, when the request has one.
   */
  constructor(
    url: string,
    method: string,
    fields: HeaderList,
    body: ReadableStream<Uint8Array> | undefined,
  ) {
    this.#url = url;
    this.#method = method;
    this.#fields = fields;
    this.#body = body;
  }

  /** The request URL. */
  get url(): string {
    return this.#url;
  }

  /** The request method. */
  get method(): string {
    return this.#method;
  }

  /** The header fields (builds the request). */
  get headers(): Headers {
    return this.#build().headers;
  }

  /** The body stream, `null` when the request has none. */
  get body(): ReadableStream<Uint8Array> | null {
    if (this.#body === undefined && this.#real === undefined) return null;
    return this.#build().body;
  }

  /** Whether the body was read. */
  get bodyUsed(): boolean {
    if (this.#body === undefined && this.#real === undefined) return false;
    return this.#build().bodyUsed;
  }

  /** Aborts when the client goes away or the server closes the connection. */
  get signal(): AbortSignal {
    return (this.#abort ??= new LazySignal()).signal;
  }

  /**
   * Aborts `signal` (creating nothing when nobody has read it yet).
   *
   * @param reason The abort reason.
   */
  abortWith(reason: unknown): void {
    (this.#abort ??= new LazySignal()).abort(reason);
  }

  #build(): Request {
    if (this.#real !== undefined) return this.#real;
    const init: RequestInit & { duplex?: "half" } = {};
    if (this.#method !== "GET") init.method = this.#method;
    if (this.#body !== undefined) {
      init.body = this.#body;
      init.duplex = "half";
    }
    const real = new Request(this.#url, init);
    // Appending to the built request's headers is the constructor's own
    // algorithm and cheaper than its `headers` option (see exchange.ts).
    const headers = real.headers;
    const fields = this.#fields;
    for (let i = 0; i < fields.length; i++) {
      const field = fields[i]!;
      headers.append(field[0], field[1]);
    }
    this.#real = real;
    return real;
  }

  /**
   * Puts `Request.prototype` under this class and forwards to the built
   * request every member this class does not answer itself: the public
   * accessors and methods, and the runtime's symbol-keyed internal slots.
   * Returns whether a lazy request then behaves as a real one.
   */
  static install(): boolean {
    const prototype = LazyRequest.prototype;
    Object.setPrototypeOf(prototype, Request.prototype);
    const build = (object: unknown): Indexable => {
      if (!(object instanceof LazyRequest)) {
        throw new TypeError("Illegal invocation: not a server request");
      }
      return object.#build() as unknown as Indexable;
    };
    for (const name of Object.getOwnPropertyNames(Request.prototype)) {
      if (name === "constructor" || Object.hasOwn(prototype, name)) continue;
      const descriptor = Object.getOwnPropertyDescriptor(Request.prototype, name)!;
      if (descriptor.get !== undefined) {
        Object.defineProperty(prototype, name, {
          configurable: true,
          get(this: unknown) {
            return build(this)[name];
          },
        });
      } else if (typeof descriptor.value === "function") {
        Object.defineProperty(prototype, name, {
          configurable: true,
          writable: true,
          value(this: unknown, ...args: unknown[]) {
            const real = build(this);
            return (real[name] as (...args: unknown[]) => unknown).apply(real, args);
          },
        });
      }
    }
    // `request.constructor` is `Request`, as on a real one, so that
    // `new request.constructor(url, init)` builds a real request.
    Object.defineProperty(prototype, "constructor", {
      configurable: true,
      writable: true,
      value: Request,
    });
    const probe = new Request("http://localhost/");
    // Well-known and registered symbols (toStringTag, inspect hooks) stay
    // inherited: they read the public members, which are forwarded.
    const symbols = [
      ...Object.getOwnPropertySymbols(probe),
      ...Object.getOwnPropertySymbols(Request.prototype),
    ].filter((symbol) => Symbol.keyFor(symbol) === undefined && !isWellKnown(symbol));
    if (symbols.length === 0) return false; // a native Request (Bun): nothing to forward
    for (const symbol of symbols) {
      if (Object.hasOwn(prototype, symbol)) continue;
      if (symbol.description === "signal") {
        // The slot `new Request(request)` and `fetch(request)` take the
        // signal from (undici's and Deno's): give them ours, so a copy is
        // aborted when the client goes away, as the request itself is.
        Object.defineProperty(prototype, symbol, {
          configurable: true,
          get(this: LazyRequest) {
            return this.signal;
          },
        });
        continue;
      }
      Object.defineProperty(prototype, symbol, {
        configurable: true,
        get(this: unknown) {
          return build(this)[symbol];
        },
        set(this: unknown, value: unknown) {
          build(this)[symbol] = value;
        },
      });
    }
    return behavesAsRequest();
  }
}

function isWellKnown(symbol: symbol): boolean {
  for (const name of Object.getOwnPropertyNames(Symbol)) {
    if ((Symbol as unknown as Indexable)[name] === symbol) return true;
  }
  return false;
}

/** Whether the runtime's `Request` and `fetch` machinery takes a lazy request as a real one. */
function behavesAsRequest(): boolean {
  try {
    const lazy = new LazyRequest(
      "http://localhost/probe?q=1",
      "PUT",
      [["x-probe", "1"], ["x-probe", "2"]],
      undefined,
    ) as unknown as Request;
    if (!(lazy instanceof Request)) return false;
    // The runtime's own accessors must accept it (brand checks go through
    // the forwarded slots), not only its constructor.
    const urlGetter = Object.getOwnPropertyDescriptor(Request.prototype, "url")?.get;
    if (urlGetter === undefined || urlGetter.call(lazy) !== lazy.url) return false;
    const copy = new Request(lazy);
    const changed = new Request(lazy, { method: "POST", body: "x" });
    return copy.url === lazy.url && copy.method === "PUT" &&
      copy.headers.get("x-probe") === "1, 2" && lazy.headers.get("x-probe") === "1, 2" &&
      changed.method === "POST" && changed.headers.get("x-probe") === "1, 2" &&
      lazy.clone().url === lazy.url && !lazy.bodyUsed && lazy.body === null;
  } catch {
    return false;
  }
}

let works: boolean | undefined;

/**
 * Whether this runtime can use {@linkcode LazyRequest} (checked once).
 *
 * @returns `true` on undici (Node) and Deno, `false` where `Request` is native (Bun).
 *
 * @example
 * ```ts
 * import { lazyRequestsWork } from "./lazy_request.ts";
 * console.assert(typeof lazyRequestsWork() === "boolean");
 * ```
 */
export function lazyRequestsWork(): boolean {
  if (works === undefined) {
    try {
      works = LazyRequest.install();
    } catch {
      works = false;
    }
  }
  return works;
}
