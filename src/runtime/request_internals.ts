/**
 * Stand-in requests: objects that pass as the runtime's `Request` (for
 * `instanceof`, its own accessors, `new Request(r)` and `fetch(r)`) while
 * building the real one only when something beyond what they answer
 * themselves is read. The server's lazy request is one; this module holds
 * the runtime side: the forwarding of `Request`'s members and of the
 * runtime's symbol-keyed internal slots (found by `request_slots.ts`), and
 * the probe that says whether the runtime takes such a stand-in at all.
 *
 * It works where `Request` keeps its state behind symbol-keyed properties:
 * undici 6 (Node 22) and Deno. undici 7 and later (Node 24, 26) keep private
 * fields and Bun a native object; nothing outside can carry those, the probe
 * says `false` there and the caller builds real requests. Only reflection on
 * `Request` is used, never a runtime global, so this module is browser
 * compatible.
 *
 * @module
 */

import { findRequestSlots, type RequestSlots } from "./request_slots.ts";

export { findRequestSlots, type RequestSlots };

type Indexable = Record<PropertyKey, unknown>;

/** What a stand-in answers itself, without building the request. */
export interface RequestStandIn {
  /** Aborts when the request's client goes away (never the built request's own). */
  readonly signal: AbortSignal;
}

/**
 * Makes instances of a stand-in class pass as requests: puts
 * `Request.prototype` under `prototype` and defines on it every accessor and
 * method of `Request.prototype` that `prototype` does not define itself,
 * each forwarding to the built request; the runtime's signal slots answer
 * with the stand-in's own `signal` (so copies follow it) and its state
 * slots forward to the built request.
 *
 * @param prototype The stand-in class's prototype (its instances implement
 * {@linkcode RequestStandIn}).
 * @param build Returns the real request behind a stand-in, building it on
 * first use; throws a `TypeError` for anything that is no stand-in.
 * @param slots The runtime's slots ({@linkcode findRequestSlots}).
 *
 * @example See {@linkcode requestStandInsWork}, which probes with a stand-in of its own.
 * ```ts
 * import assert from "node:assert/strict";
 * import { requestStandInsWork } from "./request_internals.ts";
 * assert.equal(typeof requestStandInsWork(), "boolean");
 * ```
 */
export function forwardRequestMembers(
  prototype: object,
  build: (self: unknown) => Request,
  slots: RequestSlots,
): void {
  Object.setPrototypeOf(prototype, Request.prototype);
  const real = (self: unknown) => build(self) as unknown as Indexable;
  for (const name of Object.getOwnPropertyNames(Request.prototype)) {
    if (name === "constructor" || Object.hasOwn(prototype, name)) continue;
    const descriptor = Object.getOwnPropertyDescriptor(Request.prototype, name)!;
    if (descriptor.get !== undefined) {
      Object.defineProperty(prototype, name, {
        configurable: true,
        get(this: unknown) {
          return real(this)[name];
        },
      });
    } else if (typeof descriptor.value === "function") {
      Object.defineProperty(prototype, name, {
        configurable: true,
        writable: true,
        value(this: unknown, ...args: unknown[]) {
          const request = real(this);
          return (request[name] as (...args: unknown[]) => unknown).apply(request, args);
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
  // The slots `new Request(request)` and `fetch(request)` take the signal
  // from answer with the stand-in's (without building anything), so a copy
  // is aborted when the client goes away, as the stand-in itself is.
  for (const symbol of slots.signal) {
    Object.defineProperty(prototype, symbol, {
      configurable: true,
      get(this: RequestStandIn) {
        return this.signal;
      },
    });
  }
  for (const symbol of slots.state) {
    Object.defineProperty(prototype, symbol, {
      configurable: true,
      get(this: unknown) {
        return real(this)[symbol];
      },
      set(this: unknown, value: unknown) {
        real(this)[symbol] = value;
      },
    });
  }
}

/** A stand-in made for the probe, and how to abort its signal. */
export interface ProbeStandIn {
  /** The stand-in, typed as what it stands for. */
  readonly request: Request;
  /** Aborts the stand-in's `signal` with `reason` (the client went away). */
  abort(reason: unknown): void;
}

/**
 * Checks that the runtime takes stand-ins made by `create` as real
 * requests: `instanceof`, the runtime's own `url` accessor, copies with
 * `new Request(r)` and `new Request(r, init)`, headers, `clone()`, and
 * copies made before and after an abort following the stand-in's signal.
 *
 * @param create Makes a stand-in for `url`, `method` and header `fields`.
 * @returns Whether every check held (any throw is a `false`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { standInBehavesAsRequest } from "./request_internals.ts";
 * // A real request is no stand-in: aborting it is impossible from outside.
 * const real = standInBehavesAsRequest((url, method) => ({
 *   request: new Request(url, { method }),
 *   abort() {},
 * }));
 * assert.equal(real, false);
 * ```
 */
export function standInBehavesAsRequest(
  create: (url: string, method: string, fields: [string, string][]) => ProbeStandIn,
): boolean {
  try {
    const standIn = create(
      "http://localhost/probe?q=1",
      "PUT",
      [["x-probe", "1"], ["x-probe", "2"]],
    );
    const request = standIn.request;
    if (!(request instanceof Request)) return false;
    // The runtime's own accessors must accept it (brand checks go through
    // the forwarded slots), not only its constructor.
    const urlGetter = Object.getOwnPropertyDescriptor(Request.prototype, "url")?.get;
    if (urlGetter === undefined || urlGetter.call(request) !== request.url) return false;
    const copy = new Request(request);
    const changed = new Request(request, { method: "POST", body: "x" });
    const shapeHolds = copy.url === request.url && copy.method === "PUT" &&
      copy.headers.get("x-probe") === "1, 2" && request.headers.get("x-probe") === "1, 2" &&
      changed.method === "POST" && changed.headers.get("x-probe") === "1, 2" &&
      request.clone().url === request.url && !request.bodyUsed && request.body === null;
    if (!shapeHolds) return false;
    // Copies made before and after the client leaves follow the stand-in's signal.
    const reason = new Error("probe");
    standIn.abort(reason);
    const copyAfter = new Request(request);
    return copy.signal.aborted && changed.signal.aborted && copyAfter.signal.reason === reason &&
      request.clone().signal.aborted;
  } catch {
    return false;
  }
}

/** The smallest stand-in: answers `url`, `method`, `signal` and `clone()` itself. */
class ProbeRequest implements RequestStandIn {
  readonly #url: string;
  readonly #method: string;
  readonly #fields: [string, string][];
  readonly #abort = new AbortController();
  #real: Request | undefined;

  constructor(url: string, method: string, fields: [string, string][]) {
    this.#url = url;
    this.#method = method;
    this.#fields = fields;
  }

  get url(): string {
    return this.#url;
  }

  get method(): string {
    return this.#method;
  }

  get signal(): AbortSignal {
    return this.#abort.signal;
  }

  abort(reason: unknown): void {
    this.#abort.abort(reason);
  }

  clone(): Request {
    return new Request(ProbeRequest.build(this).clone(), { signal: this.signal });
  }

  static build(self: unknown): Request {
    if (!(self instanceof ProbeRequest)) {
      throw new TypeError("Illegal invocation: not a probe request");
    }
    if (self.#real === undefined) {
      const real = new Request(self.#url, { method: self.#method });
      for (const [name, value] of self.#fields) real.headers.append(name, value);
      self.#real = real;
    }
    return self.#real;
  }
}

let works: boolean | undefined;

/**
 * Whether this runtime takes a stand-in request as a real one (probed
 * once, with a minimal stand-in of this module's own): its `Request` keeps
 * symbol-keyed slots ({@linkcode findRequestSlots}) and
 * {@linkcode standInBehavesAsRequest} holds for a stand-in forwarded by
 * {@linkcode forwardRequestMembers}.
 *
 * @returns `true` on Deno and Node 22 (undici 6); `false` on Node 24 and 26
 * (undici 7+) and Bun.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { requestStandInsWork } from "./request_internals.ts";
 * assert.equal(typeof requestStandInsWork(), "boolean");
 * ```
 */
export function requestStandInsWork(): boolean {
  if (works === undefined) {
    try {
      const slots = findRequestSlots();
      if (slots === undefined) works = false;
      else {
        forwardRequestMembers(ProbeRequest.prototype, ProbeRequest.build, slots);
        works = standInBehavesAsRequest((url, method, fields) => {
          const standIn = new ProbeRequest(url, method, fields);
          return { request: standIn as unknown as Request, abort: (r) => standIn.abort(r) };
        });
      }
    } catch {
      works = false;
    }
  }
  return works;
}
