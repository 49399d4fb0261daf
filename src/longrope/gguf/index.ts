export * from "./types";
export { readF32Tensor, readGgufHeader } from "./reader";
export { patchGguf, type GgufPatch } from "./patch";
export { GGML_TYPE, tensorByteSize, alignUp } from "./ggmlTypes";
export { buildGguf, type BuildGgufOptions, type TensorSpec } from "./build";
