/** ggml tensor types this project reads or writes: [block size in elements, bytes per block]. */
const blockLayouts: Record<number, readonly [number, number]> = {
  0: [1, 4], // F32
  1: [1, 2], // F16
  2: [32, 18], // Q4_0
  3: [32, 20], // Q4_1
  6: [32, 22], // Q5_0
  7: [32, 24], // Q5_1
  8: [32, 34], // Q8_0
  10: [256, 84], // Q2_K
  11: [256, 110], // Q3_K
  12: [256, 144], // Q4_K
  13: [256, 176], // Q5_K
  14: [256, 210], // Q6_K
  24: [1, 1], // I8
  25: [1, 2], // I16
  26: [1, 4], // I32
  27: [1, 8], // I64
  28: [1, 8], // F64
  30: [1, 2], // BF16
};

export const GGML_TYPE = { F32: 0, F16: 1, Q8_0: 8 } as const;

/** Bytes of a tensor's data, or undefined for a type this table does not know. */
export function tensorByteSize(type: number, dims: readonly number[]): number | undefined {
  const layout = blockLayouts[type];
  if (!layout) return undefined;
  const [blockSize, blockBytes] = layout;
  const elements = dims.reduce((a, b) => a * b, 1);
  const [innermost] = dims;
  if (innermost !== undefined && innermost % blockSize !== 0) return undefined;
  return (elements / blockSize) * blockBytes;
}

export function alignUp(value: number, alignment: number): number {
  return Math.ceil(value / alignment) * alignment;
}
