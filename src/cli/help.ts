/**
 * The `--help` text of the `interim` CLI. This module is browser
 * compatible.
 *
 * @module
 */

/**
 * The complete usage text, ending with a newline.
 *
 * @example Checking that every option is documented
 * ```ts
 * import assert from "node:assert/strict";
 * import { HELP } from "./help.ts";
 * assert.ok(HELP.includes("--unix-socket"));
 * ```
 */
export const HELP = `interim: request a URL and show every interim (1xx) response as it arrives

Usage:
  interim [options] URL

Sends one HTTP/1.1 request and prints each interim response (such as
103 Early Hints) the moment it arrives, with its time since the request
started, then the final status and header fields. Like \`curl -v\`, but made
for seeing 1xx responses, which fetch() in every runtime hides.

Options:
  -X, --request METHOD      request method (default GET, or POST with --data)
  -H, --header "Name: value"
                            add a request header field; repeat for more
  -d, --data DATA           send DATA as the request body; @FILE sends a file
                            as is, @- sends stdin; several -d are joined with
                            "&" as curl does; content-type defaults to
                            application/x-www-form-urlencoded
      --unix-socket PATH    connect through this unix domain socket; the URL
                            still gives the Host header and the path (or name
                            the socket in the URL: http+unix://%2Frun%2Fa.sock/)
      --cacert FILE         trust the CA certificates in this PEM file (https)
  -k, --insecure            skip TLS certificate verification (testing only)
      --connect-timeout SEC give up if connecting takes longer than SEC seconds
  -m, --max-time SEC        give up if the whole exchange, body included, takes
                            longer than SEC seconds (default: no limit, but the
                            final response head must come within 300 s)
      --body                print the response body after the final headers
      --json                print one JSON document instead of lines (below)
  -f, --fail                exit with code 22 when the final status is >= 400
  -h, --help                print this help and exit
  -V, --version             print the version and exit

Output (times are since the request started):
  +0.9ms      103 Early Hints
                link: </style.css>; rel=preload; as=style
  +2003.4ms   200 OK
                content-type: text/plain; charset=utf-8
  +2003.6ms   end of body (4 bytes)

JSON output (--json), on stdout:
  {"url": "...", "method": "GET",
   "informational": [{"status": 103, "statusText": "Early Hints",
                      "headers": [["link", "..."]], "elapsedMs": 0.9}],
   "final": {"status": 200, "statusText": "OK", "headers": [[...]],
             "elapsedMs": 2003.4},
   "bodyBytes": 4, "body": "done" (with --body; decoded as UTF-8),
   "elapsedMs": 2003.6}
  After a transport error "final" is null and "error" is
  {"name": "...", "code": "...", "message": "..."}.

Exit status:
  0   a final response arrived (whatever its status, unless --fail)
  1   the exchange failed: connect or TLS error, timeout, malformed response
  2   bad command line
  22  --fail was given and the final status is 400 or above

Examples:
  interim http://127.0.0.1:8080/
  interim --unix-socket /run/daemon/http.sock http://localhost/work
  interim http+unix://%2Frun%2Fdaemon%2Fhttp.sock/work
  interim -X POST -H "content-type: application/json" -d '{"a":1}' https://example.test/
  interim --json http://127.0.0.1:8080/ | jq '.informational[].headers'
`;
