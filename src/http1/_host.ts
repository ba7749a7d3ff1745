/**
 * Syntax checks for the Host field and the request-target form (RFC 9112
 * sections 3.2 and 3.2.1-3.2.4, RFC 3986 section 3.2.2). Private to the
 * engine.
 *
 * @module
 */

// RFC 3986: unreserved / pct-encoded ("%") / sub-delims, the bytes of a reg-name.
const REG_NAME_CHARS =
  "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~%!$&'()*+,;=";
const REG_NAME: Uint8Array = charTable(REG_NAME_CHARS);
// The bytes inside an IP-literal: IPv6 (hex, ":", "." for an embedded IPv4) or IPvFuture.
const IP_LITERAL: Uint8Array = charTable(REG_NAME_CHARS + ":");

function charTable(chars: string): Uint8Array {
  const table = new Uint8Array(128);
  for (let i = 0; i < chars.length; i++) table[chars.charCodeAt(i)] = 1;
  return table;
}

/**
 * Whether `value` is `uri-host [ ":" port ]` (RFC 9110 section 7.2); an empty
 * value is allowed (a target without authority).
 */
export function isValidHost(value: string): boolean {
  let i = 0;
  const length = value.length;
  if (length === 0) return true;
  if (value.charCodeAt(0) === 0x5b) {
    // IP-literal: "[" ... "]"
    const close = value.indexOf("]");
    if (close < 2) return false;
    for (i = 1; i < close; i++) {
      const code = value.charCodeAt(i);
      if (code > 0x7f || IP_LITERAL[code] === 0) return false;
    }
    i = close + 1;
  } else {
    for (; i < length; i++) {
      const code = value.charCodeAt(i);
      if (code === 0x3a) break;
      if (code > 0x7f || REG_NAME[code] === 0) return false;
    }
  }
  if (i === length) return true;
  if (value.charCodeAt(i) !== 0x3a) return false;
  for (i++; i < length; i++) {
    const code = value.charCodeAt(i);
    if (code < 0x30 || code > 0x39) return false;
  }
  return true;
}

/**
 * Whether `target` has a form allowed for `method` (RFC 9112 section 3.2):
 * origin-form (`/path`) or absolute-form (`scheme:...`) for any method,
 * authority-form (`host:port`) only and always for CONNECT, asterisk-form
 * (`*`) only for OPTIONS.
 */
export function isTargetFormAllowed(method: string, target: string): boolean {
  if (method === "CONNECT") {
    const colon = target.lastIndexOf(":");
    return colon > 0 && colon < target.length - 1 && isValidHost(target);
  }
  if (target === "*") return method === "OPTIONS";
  const first = target.charCodeAt(0);
  if (first === 0x2f) return true;
  return isAbsoluteForm(target);
}

// scheme ":" ..., scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." )
function isAbsoluteForm(target: string): boolean {
  const colon = target.indexOf(":");
  if (colon < 1) return false;
  for (let i = 0; i < colon; i++) {
    const code = target.charCodeAt(i) | 0x20;
    const alpha = code >= 0x61 && code <= 0x7a;
    if (i === 0 ? !alpha : !(alpha || isSchemeSymbol(target.charCodeAt(i)))) return false;
  }
  return true;
}

function isSchemeSymbol(code: number): boolean {
  return (code >= 0x30 && code <= 0x39) || code === 0x2b || code === 0x2d || code === 0x2e;
}
