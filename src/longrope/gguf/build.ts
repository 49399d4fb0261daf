/**
 * Writes a new GGUF file from metadata and tensor specs whose bytes are produced chunk by chunk, so a multi-GB model
 * (e.g. a synthetic one of a real model's shape) is written with bounded memory.
 */
import { writeFileAtomically } from "../../util/atomicFile";
import { ByteWriter, encodeMetadataEntry, encodePreamble, encodeTensorInfo } from "./encode";
import { alignUp, tensorByteSize } from "./ggmlTypes";
import type { GgufValue } from "./types";

export interface TensorSpec {
  readonly name: string;
  /** ne[0] first. */
  readonly dims: readonly number[];
  readonly type: number;
  /** Fills `chunk` with the tensor's bytes starting at `byteOffset` within the tensor. */
  readonly fill: (chunk: Buffer, byteOffset: number) => void;
}

export interface BuildGgufOptions {
  /** In file order; `general.alignment` is honoured if present. */
  readonly metadata: readonly (readonly [string, GgufValue])[];
  readonly tensors: readonly TensorSpec[];
  readonly signal?: AbortSignal;
  readonly onProgress?: (progress: { readonly done: number; readonly total: number }) => void;
}

const chunkBytes = 8 << 20;

export async function buildGguf(path: string, options: BuildGgufOptions): Promise<void> {
  const alignmentEntry = options.metadata.find(([k]) => k === "general.alignment")?.[1];
  const alignment = typeof alignmentEntry?.value === "number" ? alignmentEntry.value : 32;
  let total = 0;
  const placed = options.tensors.map((tensor) => {
    const size = tensorByteSize(tensor.type, tensor.dims);
    if (size === undefined) throw new RangeError(`Tensor ${tensor.name}: type ${tensor.type} with shape ${tensor.dims.join(",")} is not supported`);
    const offset = total;
    total = alignUp(total + size, alignment);
    return { tensor, size, offset };
  });
  const w = new ByteWriter();
  encodePreamble(w, 3, options.tensors.length, options.metadata.length);
  for (const [key, value] of options.metadata) w.bytes(encodeMetadataEntry(key, value));
  for (const { tensor: t, offset } of placed) encodeTensorInfo(w, { name: t.name, dims: t.dims, type: t.type, offset });
  w.zeros(alignUp(w.size, alignment) - w.size);
  const header = w.toBuffer();

  await writeFileAtomically(path, async (file) => {
    await file.write(header, 0, header.length, 0);
    const chunk = Buffer.alloc(chunkBytes);
    for (const { tensor, size, offset } of placed) {
      for (let done = 0; done < size; ) {
        options.signal?.throwIfAborted();
        const n = Math.min(chunkBytes, size - done);
        const view = chunk.subarray(0, n);
        view.fill(0);
        tensor.fill(view, done);
        await file.write(view, 0, n, header.length + offset + done);
        done += n;
        options.onProgress?.({ done: offset + done, total });
      }
    }
    // Like llama.cpp's writer, pad the last tensor too.
    const last = placed.at(-1);
    const lastEnd = last ? last.offset + last.size : 0;
    if (total > lastEnd) await file.write(Buffer.alloc(total - lastEnd), 0, total - lastEnd, header.length + lastEnd);
    options.signal?.throwIfAborted();
  });
}
