export { ALL_ERRORS, ErrorCode, type ErrorInfo, type ErrorName, errorInfo, isRetriable } from "./codes.js";
export { KafkaError } from "./kafka-error.js";
