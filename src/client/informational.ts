/**
 * The interim response object handed to `onInformational` and kept on the
 * final response.
 *
 * @module
 */

import type { InformationalHead } from "../http1/types.ts";
import type { InformationalResponse } from "./types.ts";

/**
 * One interim response. `headers` is built from the parsed fields on first
 * access: a callback that only counts hints, or reads `rawHeaders`, pays for
 * no `Headers` object.
 *
 * @example Reading a hint's fields
 * ```ts
 * import assert from "node:assert/strict";
 * import { Informational } from "./informational.ts";
 * const info = new Informational({
 *   kind: "informational", status: 103, reason: "Early Hints",
 *   headers: [["x-pod-name", "daemon-0"]],
 * });
 * assert.equal(info.headers.get("x-pod-name"), "daemon-0");
 * ```
 */
export class Informational implements InformationalResponse {
  /** 100-199 except 101. */
  readonly status: number;
  /** The reason phrase as sent. */
  readonly statusText: string;
  /** The fields as ordered pairs, names lower-cased. */
  readonly rawHeaders: ReadonlyArray<readonly [name: string, value: string]>;
  #headers: Headers | undefined;

  /**
   * Wraps a parsed interim head.
   *
   * @param head The engine's event.
   */
  constructor(head: InformationalHead) {
    this.status = head.status;
    this.statusText = head.reason;
    this.rawHeaders = head.headers;
  }

  /** The fields as `Headers` (repeated fields joined with ", "). */
  get headers(): Headers {
    return this.#headers ??= new Headers(this.rawHeaders as [string, string][]);
  }
}
