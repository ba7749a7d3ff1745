/**
 * Test support: a program that uses the module-level `fetch` (the default
 * pool) once against the URL in argv and prints the body. It must exit by
 * itself although the server keeps the connection open: idle pooled sockets
 * may not keep a process alive.
 *
 * @module
 */

import process from "node:process";
import { fetch } from "../../client.ts";

const response = await fetch(process.argv[2]!, {
  onInformational: (info) => console.log(`hint ${info.status}`),
});
console.log(`final ${response.status} ${await response.text()}`);
