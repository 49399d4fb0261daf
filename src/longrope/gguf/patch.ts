/**
 * Copies a GGUF model to a new file, adding, replacing or removing F32 tensors and metadata. Tensor data is streamed
 * in fixed-size chunks, so multi-GB models need little memory; untouched metadata records and tensor bytes are copied
 * verbatim, so an empty patch reproduces the file byte for byte.
 */
import { open, type FileHandle } from "node:fs/promises";
import { writeFileAtomically } from "../../util/atomicFile";
import { resolve } from "node:path";
import { RepoQaError } from "../../util/errors";
import { ByteWriter, encodeMetadataEntry, encodePreamble, encodeTensorInfo } from "./encode";
import { alignUp, GGML_TYPE } from "./ggmlTypes";
import { readGgufHeader } from "./reader";
import type { GgufHeader, GgufTensorInfo, GgufValue } from "./types";

export interface GgufPatch {
  /** F32 tensors to add or replace (1-D, e.g. `rope_freqs.weight`). */
  readonly tensors?: Readonly<Record<string, Float32Array>>;
  readonly removeTensors?: readonly string[];
  /** Metadata to add or replace; replaced keys keep their position. */
  readonly metadata?: Readonly<Record<string, GgufValue>>;
  readonly removeMetadata?: readonly string[];
  readonly signal?: AbortSignal;
  /** Called after each copied chunk with tensor-data bytes written so far. */
  readonly onProgress?: (progress: { readonly done: number; readonly total: number }) => void;
}

type DataPiece = { readonly kind: "copy"; readonly from: number; readonly length: number } | { readonly kind: "write"; readonly bytes: Buffer };

const chunkBytes = 16 << 20;

/** Writes `dstPath` (atomically: a `.partial` file renamed at the end; removed on error or cancellation). */
export async function patchGguf(srcPath: string, dstPath: string, patch: GgufPatch): Promise<void> {
  if (resolve(srcPath) === resolve(dstPath)) {
    throw new RepoQaError(`The extended model must be written to a new file, not over ${srcPath}.`, "bad-input");
  }
  patch.signal?.throwIfAborted();
  const header = await readGgufHeader(srcPath);
  if (patch.metadata?.["general.alignment"]) {
    throw new RepoQaError("Changing general.alignment of a GGUF file is not supported.", "bad-input");
  }
  const { infos, pieces, dataBytes } = planTensorData(header, patch);
  const src = await open(srcPath, "r");
  try {
    const headerBytes = Buffer.alloc(header.headerEnd);
    await src.read(headerBytes, 0, header.headerEnd, 0);
    const out = encodeHeader(header, headerBytes, infos, patch);
    await writeFileAtomically(dstPath, async (dst) => {
      await dst.write(out, 0, out.length, 0);
      await writeData(src, dst, out.length, pieces, header.dataOffset, dataBytes, patch);
      patch.signal?.throwIfAborted();
    });
  } finally {
    await src.close();
  }
}

function planTensorData(header: GgufHeader, patch: GgufPatch) {
  const replacements = new Map(Object.entries(patch.tensors ?? {}));
  const removed = new Set(patch.removeTensors ?? []);
  const byOffset = [...header.tensors].sort((a, b) => a.offset - b.offset);
  const dataEnd = header.fileSize - header.dataOffset;
  const newOffsets = new Map<string, number>();
  const pieces: DataPiece[] = [];
  let cursor = 0;
  const writeTensor = (name: string, values: Float32Array) => {
    const start = alignUp(cursor, header.alignment);
    if (start > cursor) pieces.push({ kind: "write", bytes: Buffer.alloc(start - cursor) });
    const bytes = Buffer.from(values.buffer, values.byteOffset, values.byteLength);
    const padded = alignUp(bytes.length, header.alignment);
    pieces.push({ kind: "write", bytes: Buffer.concat([bytes, Buffer.alloc(padded - bytes.length)]) });
    newOffsets.set(name, start);
    cursor = start + padded;
  };
  byOffset.forEach((t, i) => {
    if (removed.has(t.name)) return;
    const values = replacements.get(t.name);
    if (values) return writeTensor(t.name, values);
    // The span up to the next tensor includes this tensor's alignment padding; the last one runs to the file end.
    const length = (byOffset[i + 1]?.offset ?? dataEnd) - t.offset;
    newOffsets.set(t.name, cursor);
    const last = pieces.at(-1);
    if (last?.kind === "copy" && last.from + last.length === t.offset) {
      pieces[pieces.length - 1] = { ...last, length: last.length + length };
    } else {
      pieces.push({ kind: "copy", from: t.offset, length });
    }
    cursor += length;
  });
  const existing = new Set(header.tensors.map((t) => t.name));
  for (const [name, values] of replacements) if (!existing.has(name)) writeTensor(name, values);

  // Every kept tensor got its offset above (copied or written): a miss is a bug in this function.
  const offsetOf = (name: string): number => {
    const offset = newOffsets.get(name);
    if (offset === undefined) throw new Error(`GGUF patch: tensor ${name} was given no offset in the new file`);
    return offset;
  };
  const asF32 = (name: string, values: Float32Array): GgufTensorInfo =>
    ({ name, dims: [values.length], type: GGML_TYPE.F32, offset: offsetOf(name) });
  const infos: GgufTensorInfo[] = header.tensors
    .filter((t) => !removed.has(t.name))
    .map((t) => {
      const values = replacements.get(t.name);
      return values ? asF32(t.name, values) : { ...t, offset: offsetOf(t.name) };
    });
  for (const [name, values] of replacements) if (!existing.has(name)) infos.push(asF32(name, values));
  return { infos, pieces, dataBytes: cursor };
}

function encodeHeader(header: GgufHeader, headerBytes: Buffer, infos: readonly GgufTensorInfo[], patch: GgufPatch): Buffer {
  const updates = new Map(Object.entries(patch.metadata ?? {}));
  const removed = new Set(patch.removeMetadata ?? []);
  const records: Buffer[] = [];
  for (const entry of header.entries) {
    if (removed.has(entry.key)) continue;
    const value = updates.get(entry.key);
    records.push(value ? encodeMetadataEntry(entry.key, value) : headerBytes.subarray(entry.start, entry.end));
    updates.delete(entry.key);
  }
  for (const [key, value] of updates) records.push(encodeMetadataEntry(key, value));
  const w = new ByteWriter();
  encodePreamble(w, header.version, infos.length, records.length);
  for (const r of records) w.bytes(r);
  for (const info of infos) encodeTensorInfo(w, info);
  w.zeros(alignUp(w.size, header.alignment) - w.size);
  return w.toBuffer();
}

/** Copies with two buffers, so that reading the next chunk overlaps writing the previous one. */
async function writeData(
  src: FileHandle, dst: FileHandle, dstStart: number, pieces: readonly DataPiece[], srcDataOffset: number,
  total: number, patch: GgufPatch,
): Promise<void> {
  let [buf, spare] = [Buffer.alloc(chunkBytes), Buffer.alloc(chunkBytes)];
  let writing: Promise<unknown> = Promise.resolve();
  let done = 0;
  try {
    for (const piece of pieces) {
      if (piece.kind === "write") {
        await writing;
        await dst.write(piece.bytes, 0, piece.bytes.length, dstStart + done);
        done += piece.bytes.length;
        continue;
      }
      for (let copied = 0; copied < piece.length; ) {
        patch.signal?.throwIfAborted();
        const n = Math.min(chunkBytes, piece.length - copied);
        const { bytesRead } = await src.read(buf, 0, n, srcDataOffset + piece.from + copied);
        if (bytesRead !== n) throw new RepoQaError("The model file changed or was truncated while it was being copied.", "model-invalid");
        await writing;
        writing = dst.write(buf, 0, n, dstStart + done);
        [buf, spare] = [spare, buf];
        copied += n;
        done += n;
        patch.onProgress?.({ done, total });
      }
    }
  } finally {
    // Never leave a write in flight on a handle the caller is about to close.
    await writing.catch(() => undefined);
  }
  await writing;
  patch.onProgress?.({ done, total });
}
