/**
 * What the web-standard objects of one request cost on the runtime running
 * this file: `new Request(url, { method, headers })` with the fields `hey`
 * sends, `new Response("hint")`, both, and reading a static response body;
 * nanoseconds per object, best of 5 runs of 0.3 s. Evidence for
 * `docs/benchmarks.md` (the server's per-request cost beyond the engine).
 *
 * Usage: `<runtime> scripts/bench/objects_driver.ts`
 *
 * @module
 */

const URL_TEXT = "http://127.0.0.1:8080/hint";
const FIELDS: Array<[string, string]> = [
  ["host", "127.0.0.1:8080"],
  ["user-agent", "hey/0.0.1"],
  ["accept-encoding", "gzip"],
];

function nsPer(run: (n: number) => number): number {
  let best = Infinity;
  for (let attempt = 0; attempt < 5; attempt++) {
    let n = 1000;
    let sink = 0;
    const start = performance.now();
    let elapsed = 0;
    let done = 0;
    while (elapsed < 300) {
      sink += run(n);
      done += n;
      elapsed = performance.now() - start;
    }
    if (sink < 0) console.log(sink);
    best = Math.min(best, (elapsed * 1e6) / done);
    n *= 2;
  }
  return best;
}

const cases: Record<string, (n: number) => number> = {
  "new Request(url, { method, headers })": (n) => {
    let s = 0;
    for (let i = 0; i < n; i++) {
      s += new Request(URL_TEXT, { method: "GET", headers: FIELDS }).url.length;
    }
    return s;
  },
  'new Response("hint")': (n) => {
    let s = 0;
    for (let i = 0; i < n; i++) s += new Response("hint").status;
    return s;
  },
  "new Headers(fields)": (n) => {
    let s = 0;
    for (let i = 0; i < n; i++) s += new Headers(FIELDS).has("host") ? 1 : 0;
    return s;
  },
  "new AbortController()": (n) => {
    let s = 0;
    for (let i = 0; i < n; i++) s += new AbortController().signal.aborted ? 0 : 1;
    return s;
  },
};

const result: Record<string, number> = {};
for (const [name, run] of Object.entries(cases)) result[name] = Math.round(nsPer(run));
console.log(JSON.stringify(result));
