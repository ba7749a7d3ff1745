/**
 * Brotli decoding for runtimes whose `DecompressionStream` lacks it (Node
 * 20). `node:zlib` exists in Deno, Bun and Node alike; it is imported inside
 * the function, on first use, so loading this module touches no runtime.
 *
 * @module
 */

/** The parts of a `node:zlib` decompressor this module uses. */
interface ZlibDecoder {
  on(event: "data", listener: (chunk: Uint8Array) => void): unknown;
  on(event: "error", listener: (error: Error) => void): unknown;
  once(event: "end", listener: () => void): unknown;
  once(event: "error", listener: (error: Error) => void): unknown;
  write(chunk: Uint8Array, callback: (error?: Error | null) => void): boolean;
  end(): void;
  destroy(): void;
}

/**
 * Creates a stream that decodes a Brotli (`Content-Encoding: br`, RFC 7932)
 * byte stream with `node:zlib`.
 *
 * @returns A transform from compressed to decoded bytes; malformed input
 * errors both sides with the decoder's error.
 */
export function brotliDecompressionStream(): TransformStream<
  Uint8Array,
  Uint8Array
> {
  let decoder: ZlibDecoder | undefined;
  return new TransformStream<Uint8Array, Uint8Array>({
    async start(controller) {
      const zlib = await import("node:zlib");
      const created = zlib.createBrotliDecompress() as unknown as ZlibDecoder;
      created.on("data", (chunk) => {
        controller.enqueue(
          new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength),
        );
      });
      created.on("error", (error) => controller.error(error));
      decoder = created;
    },
    transform(chunk) {
      const active = decoder!;
      return new Promise<void>((resolve, reject) => {
        active.write(chunk, (error) => error ? reject(error) : resolve());
      });
    },
    flush() {
      const active = decoder!;
      return new Promise<void>((resolve, reject) => {
        active.once("end", resolve);
        active.once("error", reject);
        active.end();
      });
    },
  });
}
