/**
 * Request methods as the Fetch standard sees them: which it normalises to
 * upper case, and which a `Request` cannot carry at all. This module is
 * browser compatible.
 *
 * @module
 */

/** Methods the Fetch standard writes in upper case whatever case they came in. */
const NORMALIZED_METHODS = new Set(["DELETE", "GET", "HEAD", "OPTIONS", "POST", "PUT"]);

/** Methods the Fetch standard cannot represent in a Request, in any case. */
const FORBIDDEN_METHODS = new Set(["CONNECT", "TRACE", "TRACK"]);

/** Whether a Request cannot carry `method` (checked without upper-casing the usual ones). */
export function isForbiddenMethod(method: string): boolean {
  return method.length >= 5 && method.length <= 7 && FORBIDDEN_METHODS.has(method.toUpperCase());
}

/** The method as `Request.method` gives it (Fetch's "normalize a method"). */
export function fetchMethod(method: string): string {
  if (method === "GET" || method === "POST") return method;
  const upper = method.toUpperCase();
  return NORMALIZED_METHODS.has(upper) ? upper : method;
}
