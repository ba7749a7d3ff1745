// HTTPS: verification on by default, a custom CA, mutual TLS, SNI, the
// loudly named skip switch, and TLS over a unix socket.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { Client, FetchError } from "../client.ts";
import {
  startTlsServer,
  type TlsRequestSeen,
  type TlsServerOptions,
} from "./_support/client_tls_server.ts";

const FIXTURES = new URL("./fixtures/tls/", import.meta.url);
const read = (name: string) => readFileSync(new URL(name, FIXTURES), "utf8");
const CA = read("test-ca-cert.pem");
const CLIENT = { cert: read("test-client-cert.pem"), key: read("test-client-key.pem") };

async function withHttpsServer<T>(
  options: TlsServerOptions,
  run: (url: string, seenAt: (index: number) => Promise<TlsRequestSeen>) => Promise<T>,
): Promise<T> {
  const server = await startTlsServer(options);
  try {
    return await run(server.url, (index) => server.seenAt(index));
  } finally {
    await server.close();
  }
}

test("Client verifies certificates by default: an unknown CA fails with TLS_FAILURE", async () => {
  await withHttpsServer({}, async (url) => {
    const client = new Client();
    try {
      await assert.rejects(client.fetch(url), (error) => {
        assert.ok(error instanceof FetchError);
        assert.equal(error.code, "TLS_FAILURE");
        return true;
      });
    } finally {
      await client.close();
    }
  });
});

test("Client trusts a custom CA, reports hints over TLS and sends SNI for host names", async () => {
  await withHttpsServer({}, async (url, seenAt) => {
    const client = new Client({ tls: { ca: CA } });
    try {
      const hints: string[] = [];
      const response = await client.fetch(url, {
        onInformational: (info) => void hints.push(info.headers.get("x-pod-name")!),
      });
      assert.equal(await response.text(), "secure");
      assert.deepEqual(hints, ["tls-pod"]);
      // The certificate names localhost too; connecting by name sends SNI.
      const byName = await client.fetch(url.replace("127.0.0.1", "localhost"));
      assert.equal(await byName.text(), "secure");
      assert.equal((await seenAt(1)).servername, "localhost");
    } finally {
      await client.close();
    }
  });
});

test("Client refuses a certificate from another CA even with a custom CA set", async () => {
  await withHttpsServer({ untrusted: true }, async (url) => {
    const client = new Client({ tls: { ca: CA } });
    try {
      await assert.rejects(client.fetch(url), { code: "TLS_FAILURE" });
    } finally {
      await client.close();
    }
  });
});

test("Client with dangerouslySkipVerification accepts any certificate", async () => {
  await withHttpsServer({ untrusted: true }, async (url) => {
    const client = new Client({ tls: { dangerouslySkipVerification: true } });
    try {
      assert.equal(await (await client.fetch(url)).text(), "secure");
    } finally {
      await client.close();
    }
  });
});

test("Client presents a client certificate for mutual TLS", async () => {
  await withHttpsServer(
    { requireClientCert: true },
    async (url, seenAt) => {
      const withCert = new Client({ tls: { ca: CA, ...CLIENT } });
      const withoutCert = new Client({ tls: { ca: CA } });
      try {
        assert.equal(await (await withCert.fetch(url)).text(), "secure");
        assert.equal((await seenAt(0)).clientCn, "early-hints test client");
        // Without a certificate the server aborts the handshake (TLS 1.3 may
        // only tell after it, when the request is already written).
        await assert.rejects(withoutCert.fetch(url), (error) => {
          assert.ok(error instanceof FetchError);
          assert.ok(
            ["TLS_FAILURE", "CLOSED_BEFORE_RESPONSE", "CONNECT_FAILED"].includes(error.code),
            error.code,
          );
          return true;
        });
      } finally {
        await withCert.close();
        await withoutCert.close();
      }
    },
  );
});

test("Client speaks TLS over a unix socket, with SNI from the URL's host", async () => {
  const dir = await mkdtemp(path.join(tmpdir(), "eh-tls-"));
  const socketPath = path.join(dir, "tls.sock");
  try {
    await withHttpsServer({ path: socketPath }, async (_url, seenAt) => {
      const client = new Client({ socketPath, tls: { ca: CA } });
      try {
        assert.equal(await (await client.fetch("https://localhost/")).text(), "secure");
        assert.equal((await seenAt(0)).servername, "localhost");
      } finally {
        await client.close();
      }
    });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
