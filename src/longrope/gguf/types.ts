/** GGUF (v2/v3) data model: https://github.com/ggml-org/ggml/blob/master/docs/gguf.md */

/** Value type ids as stored in the file. */
export const GGUF_TYPE_IDS = {
  u8: 0, i8: 1, u16: 2, i16: 3, u32: 4, i32: 5, f32: 6, bool: 7, string: 8, array: 9, u64: 10, i64: 11, f64: 12,
} as const;

export type GgufValueType = keyof typeof GGUF_TYPE_IDS;
export type GgufNumberType = "u8" | "i8" | "u16" | "i16" | "u32" | "i32" | "f32" | "f64";
export type GgufBigIntType = "u64" | "i64";

export type GgufArrayItem = number | bigint | boolean | string | GgufArray;

export interface GgufArray {
  readonly type: "array";
  readonly itemType: GgufValueType;
  readonly value: readonly GgufArrayItem[];
}

/** One metadata value, tagged with its exact on-disk type so that writing it back is lossless. */
export type GgufValue =
  | { readonly type: GgufNumberType; readonly value: number }
  | { readonly type: GgufBigIntType; readonly value: bigint }
  | { readonly type: "bool"; readonly value: boolean }
  | { readonly type: "string"; readonly value: string }
  | GgufArray;

export interface GgufMetadataEntry {
  readonly key: string;
  readonly value: GgufValue;
  /** Byte range of the whole key/value record in the file. */
  readonly start: number;
  readonly end: number;
}

export interface GgufTensorInfo {
  readonly name: string;
  /** ne[0] first (the fastest-varying dimension), as GGUF stores them. */
  readonly dims: readonly number[];
  /** ggml type id (0 = F32, 1 = F16, 8 = Q8_0, …). */
  readonly type: number;
  /** Offset of the tensor data, relative to `dataOffset`. */
  readonly offset: number;
}

export interface GgufHeader {
  readonly version: number;
  /** In file order. */
  readonly entries: readonly GgufMetadataEntry[];
  readonly metadata: ReadonlyMap<string, GgufValue>;
  readonly tensors: readonly GgufTensorInfo[];
  readonly alignment: number;
  /** End of the tensor infos (before the padding that aligns the data). */
  readonly headerEnd: number;
  /** Absolute offset where tensor data begins. */
  readonly dataOffset: number;
  readonly fileSize: number;
}

export const gguf = {
  u32: (value: number): GgufValue => ({ type: "u32", value }),
  i32: (value: number): GgufValue => ({ type: "i32", value }),
  f32: (value: number): GgufValue => ({ type: "f32", value }),
  bool: (value: boolean): GgufValue => ({ type: "bool", value }),
  string: (value: string): GgufValue => ({ type: "string", value }),
  array: (itemType: GgufValueType, value: readonly GgufArrayItem[]): GgufValue => ({ type: "array", itemType, value }),
};

/** A metadata value as a plain JS value (number, bigint, string, boolean or array), or undefined. */
export function metadataValue(header: GgufHeader, key: string): GgufArrayItem | readonly GgufArrayItem[] | undefined {
  const v = header.metadata.get(key);
  return v === undefined ? undefined : v.value;
}

export function metadataNumber(header: GgufHeader, key: string): number | undefined {
  const v = header.metadata.get(key);
  if (v === undefined) return undefined;
  if (typeof v.value === "number") return v.value;
  if (typeof v.value === "bigint") return Number(v.value);
  return undefined;
}

export function metadataString(header: GgufHeader, key: string): string | undefined {
  const v = header.metadata.get(key);
  return v?.type === "string" ? v.value : undefined;
}
