// Values for postMessage: structured clone copies a typed array's WHOLE underlying ArrayBuffer, and Node hands out
// small Buffers (hash digests, Buffer.from of short strings, base64 decodes) as views into shared 8 KiB pool slabs.
// Cloning a 32-byte digest then copied 8 KiB: profiled at ~150 µs of event loop per ingested event.
export function compactBytes<T>(v: T): T {
  if (v instanceof Uint8Array && (v.byteOffset !== 0 || v.byteLength !== v.buffer.byteLength)) {
    return Uint8Array.prototype.slice.call(v) as T; // a copy with its own exactly-sized buffer
  }
  return v;
}
