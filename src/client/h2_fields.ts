/**
 * The header section of a request sent over HTTP/2 (RFC 9113 section 8.3):
 * the pseudo-header fields from the method and URL, the caller's fields
 * without the connection-specific ones HTTP/2 forbids, and the same
 * defaults the HTTP/1.1 head gets.
 *
 * @module
 */

import {
  CONNECTION_SPECIFIC_FIELDS,
  isValidHeaderName,
  isValidHeaderValue,
} from "../http1/validate.ts";
import type { FieldPairs } from "../runtime/http2_client.ts";
import { FetchError } from "./errors.ts";
import type { PreparedRequest } from "./request.ts";

/**
 * Builds the request's HTTP/2 fields.
 *
 * A caller's `Host` becomes `:authority` (as HTTP/1.1 keeps it as `Host`);
 * `TE` is kept only as `trailers`; `Content-Length` is the body's real
 * length, as over HTTP/1.1.
 *
 * @param request The request.
 * @returns The fields, pseudo-header fields first.
 * @throws {FetchError} `INVALID_REQUEST` for a name or value that cannot be sent.
 */
export function h2RequestFields(request: PreparedRequest): FieldPairs {
  let authority = request.target.host;
  const fields: FieldPairs = [];
  let hasAccept = false;
  let hasAcceptEncoding = false;
  let hasUserAgent = false;
  for (const [name, value] of request.headers) {
    if (!isValidHeaderName(name) || !isValidHeaderValue(value)) {
      throw new FetchError(
        "INVALID_REQUEST",
        `fetch: the header field ${JSON.stringify(name)} cannot be sent`,
      );
    }
    if (CONNECTION_SPECIFIC_FIELDS.has(name) || name === "content-length") continue;
    if (name === "host") {
      authority = value;
      continue;
    }
    if (name === "te" && value.trim().toLowerCase() !== "trailers") continue;
    if (name === "accept") hasAccept = true;
    else if (name === "accept-encoding") hasAcceptEncoding = true;
    else if (name === "user-agent") hasUserAgent = true;
    fields.push([name, value]);
  }
  if (request.defaultHeaders) {
    if (!hasAccept) fields.push(["accept", "*/*"]);
    if (!hasAcceptEncoding) fields.push(["accept-encoding", "gzip, deflate, br"]);
    if (!hasUserAgent) fields.push(["user-agent", "interim"]);
  }
  const body = request.body;
  if (body === null) {
    if (request.method === "POST" || request.method === "PUT") {
      fields.push(["content-length", "0"]);
    }
  } else if (body.kind === "bytes") {
    fields.push(["content-length", String(body.bytes.byteLength)]);
  }
  // A stream's declared length is held to by the writer but not sent: over
  // HTTP/2 END_STREAM ends the body, and a stream reset short of a declared
  // length makes Deno 2.9's server end the whole session with GOAWAY
  // PROTOCOL_ERROR, which crashes a Deno client (segfault, measured).
  return [
    [":method", request.method],
    [":scheme", "https"],
    [":authority", authority],
    [":path", request.target.path],
    ...fields,
  ];
}
