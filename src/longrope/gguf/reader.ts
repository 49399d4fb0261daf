/**
 * Reads a GGUF header (metadata and tensor infos) without touching the tensor data: the file is read from the start
 * in growing windows until the header fits, so a multi-GB model costs a few MB of memory.
 */
import { open } from "node:fs/promises";
import { RepoQaError } from "../../util/errors";
import { alignUp } from "./ggmlTypes";
import {
  GGUF_TYPE_IDS, type GgufArrayItem, type GgufHeader, type GgufMetadataEntry, type GgufTensorInfo, type GgufValue,
  type GgufValueType,
} from "./types";

const typeNames = Object.fromEntries(Object.entries(GGUF_TYPE_IDS).map(([k, v]) => [v, k])) as Record<
  number,
  GgufValueType
>;
const fixedSizes: Partial<Record<GgufValueType, number>> = {
  u8: 1, i8: 1, bool: 1, u16: 2, i16: 2, u32: 4, i32: 4, f32: 4, u64: 8, i64: 8, f64: 8,
};
// Not fatal: untouched entries are copied as raw bytes, so a token that is not valid UTF-8 still round-trips.
// ignoreBOM keeps a leading U+FEFF (Llama-2 has a token that is exactly the BOM).
const utf8 = new TextDecoder("utf-8", { ignoreBOM: true });

class NeedMoreBytes extends Error {}

/** Real headers (a 200k-token vocabulary with merges) take tens of MB; more means a corrupt length field. */
const maxHeaderBytes = 512 << 20;

class Cursor {
  pos = 0;
  constructor(
    /** The start of the file. */
    readonly buf: Buffer,
    readonly fileSize: number,
    /** Arrays longer than this are stepped over, their value left empty. */
    readonly maxArrayItems = Number.POSITIVE_INFINITY,
  ) {}

  need(n: number): void {
    if (this.pos + n > this.buf.length) {
      // Past the end of the file (or of any plausible header) means corruption, not a reason to read more.
      if (this.pos + n > Math.min(this.fileSize, maxHeaderBytes)) throw new TruncatedGguf();
      throw new NeedMoreBytes();
    }
  }
  u32(): number {
    this.need(4);
    const v = this.buf.readUInt32LE(this.pos);
    this.pos += 4;
    return v;
  }
  u64(): number {
    this.need(8);
    const v = this.buf.readBigUInt64LE(this.pos);
    this.pos += 8;
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new TruncatedGguf();
    return Number(v);
  }
  string(): string {
    const length = this.u64();
    this.need(length);
    const bytes = this.buf.subarray(this.pos, this.pos + length);
    this.pos += length;
    return utf8.decode(bytes);
  }
  scalar(type: GgufValueType): number | bigint | boolean {
    const size = fixedSizes[type];
    if (size === undefined) throw new TruncatedGguf();
    this.need(size);
    const b = this.buf;
    const p = this.pos;
    this.pos += size;
    switch (type) {
      case "u8": return b.readUInt8(p);
      case "i8": return b.readInt8(p);
      case "u16": return b.readUInt16LE(p);
      case "i16": return b.readInt16LE(p);
      case "u32": return b.readUInt32LE(p);
      case "i32": return b.readInt32LE(p);
      case "f32": return b.readFloatLE(p);
      case "f64": return b.readDoubleLE(p);
      case "u64": return b.readBigUInt64LE(p);
      case "i64": return b.readBigInt64LE(p);
      default: return b.readUInt8(p) !== 0;
    }
  }
  typeName(): GgufValueType {
    const id = this.u32();
    const name = typeNames[id];
    if (name === undefined) throw new TruncatedGguf();
    return name;
  }
}

/** Marks content that cannot be a valid GGUF header. */
class TruncatedGguf extends Error {}

function readValue(c: Cursor, type: GgufValueType): GgufValue {
  if (type === "string") return { type, value: c.string() };
  if (type === "array") {
    const itemType = c.typeName();
    const count = c.u64();
    // Each item takes at least one byte: a count beyond the file is corruption, not a reason to allocate.
    if (count > Math.min(c.fileSize, maxHeaderBytes)) throw new TruncatedGguf();
    if (count > c.maxArrayItems) {
      skipItems(c, itemType, count);
      return { type, itemType, value: [] };
    }
    const items = new Array<GgufArrayItem>(count);
    for (let i = 0; i < count; i++) {
      const item = readValue(c, itemType);
      // Nested arrays keep their tag so that they can be written back.
      items[i] = item.type === "array" ? item : item.value;
    }
    return { type, itemType, value: items };
  }
  return { type, value: c.scalar(type) } as GgufValue;
}

/** Steps over `count` items without building them: a header with one 120 MB array took 30 s and 2.4 GB to parse. */
function skipItems(c: Cursor, itemType: GgufValueType, count: number): void {
  const size = fixedSizes[itemType];
  if (size !== undefined) {
    c.need(size * count);
    c.pos += size * count;
    return;
  }
  for (let i = 0; i < count; i++) {
    if (itemType === "string") {
      const length = c.u64();
      c.need(length);
      c.pos += length;
    } else readValue(c, itemType);
  }
}

function parseHeader(c: Cursor, fileSize: number): GgufHeader {
  c.need(4);
  if (c.buf.toString("latin1", 0, 4) !== "GGUF") throw new NotGguf();
  c.pos = 4;
  const version = c.u32();
  if (version !== 2 && version !== 3) throw new UnsupportedVersion(version);
  const tensorCount = c.u64();
  const kvCount = c.u64();
  const entries: GgufMetadataEntry[] = [];
  const metadata = new Map<string, GgufValue>();
  for (let i = 0; i < kvCount; i++) {
    const start = c.pos;
    const key = c.string();
    const value = readValue(c, c.typeName());
    entries.push({ key, value, start, end: c.pos });
    metadata.set(key, value);
  }
  const tensors: GgufTensorInfo[] = [];
  for (let i = 0; i < tensorCount; i++) {
    const name = c.string();
    const nDims = c.u32();
    if (nDims > 8) throw new TruncatedGguf();
    const dims: number[] = [];
    for (let d = 0; d < nDims; d++) dims.push(c.u64());
    const type = c.u32();
    const offset = c.u64();
    tensors.push({ name, dims, type, offset });
  }
  const alignmentValue = metadata.get("general.alignment");
  const alignment = typeof alignmentValue?.value === "number" && alignmentValue.value > 0 ? alignmentValue.value : 32;
  const headerEnd = c.pos;
  return { version, entries, metadata, tensors, alignment, headerEnd, dataOffset: alignUp(headerEnd, alignment), fileSize };
}

class NotGguf extends Error {}
class UnsupportedVersion extends Error {
  constructor(readonly version: number) {
    super(`GGUF version ${version}`);
  }
}

export interface ReadGgufHeaderOptions {
  /** Arrays with more items are stepped over and read as empty (a check that needs only the shape). Default: all. */
  readonly maxArrayItems?: number;
}

/** Reads the header of a GGUF file; throws RepoQaError("model-invalid") naming the file when it is not one. */
export async function readGgufHeader(path: string, options: ReadGgufHeaderOptions = {}): Promise<GgufHeader> {
  const handle = await open(path, "r").catch((e: unknown) => {
    throw new RepoQaError(`Cannot open the model file ${path}: check that it exists and is readable.`, "model-not-found", { cause: e });
  });
  try {
    const fileSize = (await handle.stat()).size;
    let window = Math.min(fileSize, 4 << 20);
    for (;;) {
      const buf = Buffer.alloc(window);
      const { bytesRead } = await handle.read(buf, 0, window, 0);
      try {
        // A short read means the file shrank: what was read is all there is.
        const size = bytesRead < window ? bytesRead : fileSize;
        return parseHeader(new Cursor(buf.subarray(0, bytesRead), size, options.maxArrayItems), size);
      } catch (e) {
        if (e instanceof NeedMoreBytes) {
          window = Math.min(fileSize, maxHeaderBytes, window * 4);
          continue;
        }
        throw invalid(path, e);
      }
    }
  } finally {
    await handle.close();
  }
}

function invalid(path: string, e: unknown): RepoQaError {
  if (e instanceof NotGguf) {
    return new RepoQaError(`${path} is not a GGUF model file: choose a .gguf file.`, "model-invalid", { cause: e });
  }
  if (e instanceof UnsupportedVersion) {
    return new RepoQaError(`${path} uses GGUF version ${e.version}, which is not supported: convert it with a current llama.cpp.`, "model-invalid", { cause: e });
  }
  return new RepoQaError(`${path} is truncated or corrupt (its GGUF header cannot be read): download it again.`, "model-invalid", { cause: e });
}

/** The values of a small F32 tensor (e.g. `rope_factors_long.weight`), or undefined when the file has none. */
export async function readF32Tensor(path: string, header: GgufHeader, name: string): Promise<Float32Array | undefined> {
  const info = header.tensors.find((t) => t.name === name);
  if (!info || info.type !== 0) return undefined;
  const count = info.dims.reduce((a, b) => a * b, 1);
  const bytes = Buffer.alloc(count * 4);
  const handle = await open(path, "r");
  try {
    await handle.read(bytes, 0, bytes.length, header.dataOffset + info.offset);
  } finally {
    await handle.close();
  }
  return new Float32Array(bytes.buffer, bytes.byteOffset, count);
}
