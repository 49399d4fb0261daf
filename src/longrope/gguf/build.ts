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
  const sizes = options.tensors.map((t) => {
    const size = tensorByteSize(t.type, t.dims);
    if (size === undefined) throw new RangeError(`Tensor ${t.name}: type ${t.type} with shape ${t.dims} is not supported`);
    return size;
  });
  const offsets: number[] = [];
  let total = 0;
  for (const size of sizes) {
    offsets.push(total);
    total = alignUp(total + size, alignment);
  }
  const w = new ByteWriter();
  encodePreamble(w, 3, options.tensors.length, options.metadata.length);
  for (const [key, value] of options.metadata) w.bytes(encodeMetadataEntry(key, value));
  options.tensors.forEach((t, i) => encodeTensorInfo(w, { name: t.name, dims: t.dims, type: t.type, offset: offsets[i]! }));
  w.zeros(alignUp(w.size, alignment) - w.size);
  const header = w.toBuffer();

  await writeFileAtomically(path, async (file) => {
    await file.write(header, 0, header.length, 0);
    const chunk = Buffer.alloc(chunkBytes);
    for (let i = 0; i < options.tensors.length; i++) {
      const tensor = options.tensors[i]!;
      const size = sizes[i]!;
      for (let done = 0; done < size; ) {
        options.signal?.throwIfAborted();
        const n = Math.min(chunkBytes, size - done);
        const view = chunk.subarray(0, n);
        view.fill(0);
        tensor.fill(view, done);
        await file.write(view, 0, n, header.length + offsets[i]! + done);
        done += n;
        options.onProgress?.({ done: offsets[i]! + done, total });
      }
    }
    // Like llama.cpp's writer, pad the last tensor too.
    const lastEnd = sizes.length > 0 ? offsets.at(-1)! + sizes.at(-1)! : 0;
    if (total > lastEnd) await file.write(Buffer.alloc(total - lastEnd), 0, total - lastEnd, header.length + lastEnd);
    options.signal?.throwIfAborted();
  });
}
