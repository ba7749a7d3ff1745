/**
 * The `Request` handed to handlers where the runtime lets us defer building
 * one: an object whose prototype chain holds `Request.prototype`, that
 * answers `url` and `method` from the parsed head and builds the real
 * `Request` only when anything else is read (`headers`, the body, `clone()`).
 * Most handlers route on the URL and method alone, and building a `Request`
 * costs microseconds (undici makes an `AbortController` for every one).
 *
 * It works only where the runtime's `Request` keeps its state behind
 * symbol-keyed properties (undici 6 on Node 22, Deno; found by
 * src/runtime/request_slots.ts): those are forwarded to the built request,
 * so `new Request(request)` and `fetch(request)` copy it as they would a
 * real one, and the slot they read the signal from answers with ours, so a
 * copy is aborted when the client leaves. {@linkcode lazyRequestsWork}
 * checks all of that once; where it fails (undici 7+ on Node 24 and 26 keeps
 * private fields, Bun a native object) the server builds an
 * {@linkcode IncomingRequest} at once. This module is browser compatible.
 *
 * @module
 */

import type { HeaderList } from "../http1/types.ts";
import type { InterimTarget } from "./interim_target.ts";
import { LazySignal } from "./lazy_signal.ts";
import {
  findRequestSlots,
  forwardRequestMembers,
  type RequestSlots,
  requestStandInsWork,
  standInBehavesAsRequest,
} from "../runtime/request_internals.ts";

/**
 * A server request built on demand; typed as a `Request` for handlers.
 *
 * @example Reading the URL builds nothing; reading the headers builds the request
 * ```ts
 * import assert from "node:assert/strict";
 * import { LazyRequest, lazyRequestsWork } from "./lazy_request.ts";
 * if (lazyRequestsWork()) { // Deno and Node 22
 *   const request = new LazyRequest("http://localhost/a", "GET", [["accept", "*\/*"]], undefined);
 *   assert.equal(request.url, "http://localhost/a");
 *   assert.equal(request.headers.get("accept"), "*\/*");
 *   assert.ok(request instanceof Request);
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

  /**
   * One field's value as `headers.get(name)` gives it (repeated fields
   * joined by `", "`), read from the parsed fields while the request is
   * unbuilt: a middleware that only looks at a header (a hint policy, a
   * navigation test) then costs no `Request`.
   *
   * @param name The field name, lower-case.
   * @returns The value, or `null` when absent.
   */
  fieldValue(name: string): string | null {
    if (this.#real !== undefined) return this.#real.headers.get(name);
    let value: string | null = null;
    const fields = this.#fields;
    for (let i = 0; i < fields.length; i++) {
      const [fieldName, fieldValue] = fields[i]!;
      if (fieldName.length !== name.length) continue;
      // The engine and HTTP/2 give lower-case names; node:http keeps the client's case.
      if (fieldName !== name && fieldName.toLowerCase() !== name) continue;
      value = value === null ? fieldValue : `${value}, ${fieldValue}`;
    }
    return value;
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

  /**
   * A copy with its own body branch whose signal follows this request's:
   * the runtime's `clone()` of the built request would follow the built
   * request's own signal, which never aborts.
   *
   * @returns The clone.
   */
  clone(): Request {
    const twin = this.#build().clone();
    return new Request(twin, { signal: this.signal });
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
    // algorithm and cheaper than its `headers` option (see request_factory.ts).
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
   * request every member this class does not answer itself
   * (src/runtime/request_internals.ts), then checks that a lazy request
   * behaves as a real one.
   *
   * @param slots The runtime's slots.
   * @returns Whether a lazy request then behaves as a real one.
   */
  static install(slots: RequestSlots): boolean {
    const build = (object: unknown): Request => {
      if (!(object instanceof LazyRequest)) {
        throw new TypeError("Illegal invocation: not a server request");
      }
      return object.#build();
    };
    forwardRequestMembers(LazyRequest.prototype, build, slots);
    return standInBehavesAsRequest((url, method, fields) => {
      const lazy = new LazyRequest(url, method, fields, undefined);
      return { request: lazy as unknown as Request, abort: (reason) => lazy.abortWith(reason) };
    });
  }
}

let works: boolean | undefined;
let allowed = true;

/**
 * Whether the server hands out {@linkcode LazyRequest}s on this runtime
 * (probed once).
 *
 * @returns `true` on undici 6 (Node 22) and Deno; `false` on undici 7+ (Node
 * 24, 26) and Bun, or while {@linkcode allowLazyRequests} turned them off.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { lazyRequestsWork } from "./lazy_request.ts";
 * assert.equal(typeof lazyRequestsWork(), "boolean");
 * ```
 */
export function lazyRequestsWork(): boolean {
  if (!allowed) return false;
  if (works === undefined) {
    try {
      const slots = requestStandInsWork() ? findRequestSlots() : undefined;
      works = slots !== undefined && LazyRequest.install(slots);
    } catch {
      works = false;
    }
  }
  return works;
}

/**
 * Turns lazy requests off (`false`) or back on (`true`, the default), so
 * tests run the fallback, a real `Request`, on runtimes with the fast path.
 * Not exported from the package.
 *
 * @param allow Whether {@linkcode lazyRequestsWork} may answer `true`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { allowLazyRequests, lazyRequestsWork } from "./lazy_request.ts";
 * allowLazyRequests(false);
 * assert.equal(lazyRequestsWork(), false);
 * allowLazyRequests(true);
 * ```
 */
export function allowLazyRequests(allow: boolean): void {
  allowed = allow;
}
