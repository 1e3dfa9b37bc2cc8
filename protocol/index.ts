/** Public surface of the wire codec. */

export * from "./errors/index.js";
export * from "./framing.js";
export * from "./generated/index.js";
export { ProtocolDecodeError, Reader } from "./primitives/reader.js";
export { varintSize, Writer } from "./primitives/writer.js";
