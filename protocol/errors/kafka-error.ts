import { ErrorCode, type ErrorName, errorInfo } from "./codes.js";

/** An error that maps to a Kafka error code, for handlers to answer with and clients to throw. */
export class KafkaError extends Error {
  override name = "KafkaError";
  readonly code: number;
  readonly errorName: string;
  readonly retriable: boolean;

  constructor(code: number, message?: string, options?: ErrorOptions) {
    const info = errorInfo(code);
    super(message ?? info.message, options);
    this.code = code;
    this.errorName = info.name;
    this.retriable = info.retriable;
  }

  /** `KafkaError.of("NOT_COORDINATOR", "group g is elsewhere")` */
  static of(name: ErrorName, message?: string, options?: ErrorOptions): KafkaError {
    return new KafkaError(ErrorCode[name], message, options);
  }

  override toString(): string {
    return `${this.errorName} (${this.code}): ${this.message}`;
  }
}
