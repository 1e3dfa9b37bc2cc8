// Kubernetes Status errors, shaped like the real API server's (kind: Status, reason, code, details).
import type { Json } from "./types.js";

export interface StatusCause {
  reason?: string;
  message?: string;
  field?: string;
}

export class ApiError extends Error {
  constructor(
    readonly code: number,
    readonly reason: string,
    message: string,
    readonly details?: {
      name?: string;
      group?: string;
      kind?: string;
      causes?: StatusCause[];
      retryAfterSeconds?: number;
    },
  ) {
    super(message);
  }

  toStatus(): Json {
    const s: Json = {
      kind: "Status",
      apiVersion: "v1",
      metadata: {},
      status: "Failure",
      message: this.message,
      reason: this.reason,
      code: this.code,
    };
    if (this.details) s.details = this.details;
    return s;
  }
}

interface Target {
  group: string;
  plural: string;
}

function qualified(t: Target): string {
  return t.group ? `${t.plural}.${t.group}` : t.plural;
}

export function notFound(t: Target, name: string): ApiError {
  return new ApiError(404, "NotFound", `${qualified(t)} "${name}" not found`, {
    name,
    group: t.group || undefined,
    kind: t.plural,
  });
}

export function alreadyExists(t: Target, name: string): ApiError {
  return new ApiError(409, "AlreadyExists", `${qualified(t)} "${name}" already exists`, {
    name,
    group: t.group || undefined,
    kind: t.plural,
  });
}

export function conflict(t: Target, name: string, why?: string): ApiError {
  const msg =
    why ?? "the object has been modified; please apply your changes to the latest version and try again";
  return new ApiError(409, "Conflict", `Operation cannot be fulfilled on ${qualified(t)} "${name}": ${msg}`, {
    name,
    group: t.group || undefined,
    kind: t.plural,
  });
}

export function invalid(kind: string, group: string, name: string, causes: StatusCause[]): ApiError {
  const list = causes.map((c) => `${c.field ? c.field + ": " : ""}${c.message ?? ""}`).join(", ");
  const gk = group ? `${kind}.${group}` : kind;
  return new ApiError(422, "Invalid", `${gk} "${name}" is invalid: ${list}`, {
    name,
    group: group || undefined,
    kind,
    causes: causes.map((c) => ({
      reason: c.reason ?? "FieldValueInvalid",
      message: c.message,
      field: c.field,
    })),
  });
}

export function badRequest(message: string): ApiError {
  return new ApiError(400, "BadRequest", message);
}

export function methodNotAllowed(
  message = "the server does not allow this method on the requested resource",
): ApiError {
  return new ApiError(405, "MethodNotAllowed", message);
}

export function gone(message: string): ApiError {
  return new ApiError(410, "Expired", message);
}

export function forbidden(message: string): ApiError {
  return new ApiError(403, "Forbidden", message);
}

export function unsupportedMediaType(contentType: string): ApiError {
  return new ApiError(
    415,
    "UnsupportedMediaType",
    `the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml (got ${contentType})`,
  );
}
