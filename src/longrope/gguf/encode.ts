/** Serialises GGUF header parts exactly as `reader.ts` parses them. */
import { GGUF_TYPE_IDS, type GgufArrayItem, type GgufTensorInfo, type GgufValue, type GgufValueType } from "./types";

/** Collects little-endian fields into buffers. */
export class ByteWriter {
  private readonly chunks: Buffer[] = [];
  private length = 0;

  bytes(b: Buffer | Uint8Array): void {
    const buf = Buffer.isBuffer(b) ? b : Buffer.from(b.buffer, b.byteOffset, b.byteLength);
    this.chunks.push(buf);
    this.length += buf.length;
  }
  private fixed(size: number, write: (b: Buffer) => void): void {
    const b = Buffer.alloc(size);
    write(b);
    this.bytes(b);
  }
  u32(v: number): void {
    this.fixed(4, (b) => b.writeUInt32LE(v));
  }
  u64(v: number | bigint): void {
    this.fixed(8, (b) => b.writeBigUInt64LE(BigInt(v)));
  }
  string(s: string): void {
    const b = Buffer.from(s, "utf8");
    this.u64(b.length);
    this.bytes(b);
  }
  zeros(n: number): void {
    if (n > 0) this.bytes(Buffer.alloc(n));
  }
  get size(): number {
    return this.length;
  }
  toBuffer(): Buffer {
    return Buffer.concat(this.chunks, this.length);
  }
}

function writeScalar(w: ByteWriter, type: GgufValueType, v: GgufArrayItem): void {
  switch (type) {
    case "u8": return w.bytes(Uint8Array.of(v as number));
    case "i8": return w.bytes(new Uint8Array(Int8Array.of(v as number).buffer));
    case "bool": return w.bytes(Uint8Array.of(v ? 1 : 0));
    case "u16": return w.bytes(new Uint8Array(Uint16Array.of(v as number).buffer));
    case "i16": return w.bytes(new Uint8Array(Int16Array.of(v as number).buffer));
    case "u32": return w.u32(v as number);
    case "i32": return w.bytes(new Uint8Array(Int32Array.of(v as number).buffer));
    case "f32": return w.bytes(new Uint8Array(Float32Array.of(v as number).buffer));
    case "f64": return w.bytes(new Uint8Array(Float64Array.of(v as number).buffer));
    case "u64": return w.u64(BigInt(v as bigint | number));
    case "i64": return w.bytes(new Uint8Array(BigInt64Array.of(BigInt(v as bigint | number)).buffer));
    case "string": return w.string(v as string);
    case "array": return writeValue(w, v as GgufValue);
  }
}

function writeValue(w: ByteWriter, value: GgufValue): void {
  if (value.type === "array") {
    w.u32(GGUF_TYPE_IDS[value.itemType]);
    w.u64(value.value.length);
    for (const item of value.value) {
      if (value.itemType === "array") writeValue(w, item as GgufValue);
      else writeScalar(w, value.itemType, item);
    }
    return;
  }
  writeScalar(w, value.type, value.value);
}

/** One metadata record: key, type id, value. */
export function encodeMetadataEntry(key: string, value: GgufValue): Buffer {
  const w = new ByteWriter();
  w.string(key);
  w.u32(GGUF_TYPE_IDS[value.type]);
  writeValue(w, value);
  return w.toBuffer();
}

export function encodeTensorInfo(w: ByteWriter, info: GgufTensorInfo): void {
  w.string(info.name);
  w.u32(info.dims.length);
  for (const d of info.dims) w.u64(d);
  w.u32(info.type);
  w.u64(info.offset);
}

/** Magic, version and counts. */
export function encodePreamble(w: ByteWriter, version: number, tensorCount: number, kvCount: number): void {
  w.bytes(Buffer.from("GGUF", "latin1"));
  w.u32(version);
  w.u64(tensorCount);
  w.u64(kvCount);
}
