export * from "./batch.js";
export {
  compress,
  DEFAULT_MAX_DECOMPRESSED,
  DecompressionError,
  decompress,
  isXerial,
  xerialEncode,
} from "./compression.js";
export * from "./control.js";
export * from "./header.js";
export {
  type ConvertOptions,
  convertLegacyToBatches,
  type LegacyMessage,
  type LegacyReadOptions,
  readLegacyMessageSet,
} from "./legacy.js";
