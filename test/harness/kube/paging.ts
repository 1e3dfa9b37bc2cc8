// limit/continue paging of lists. Pages after the first are read from the current state (see README).
import { ApiError, badRequest } from "./errors.js";
import type { Json, KObject } from "./types.js";

export interface Page {
  items: KObject[];
  metadata: { resourceVersion: string; continue?: string; remainingItemCount?: number };
}

const keyOf = (o: KObject): string => `${o.metadata.namespace ?? ""}/${o.metadata.name}`;

/** `items` must be sorted by namespace/name, as the store returns them. */
export function paginate(
  items: KObject[],
  resourceVersion: string,
  limit: string | null,
  cont: string | null,
): Page {
  let rv = resourceVersion;
  let rest = items;
  if (cont) {
    let token: Json;
    try {
      token = JSON.parse(Buffer.from(cont, "base64url").toString("utf8"));
    } catch {
      throw badRequest("continue key is not valid: incorrect encoded start resourceVersion");
    }
    if (typeof token?.key !== "string" || typeof token?.rv !== "string") {
      throw new ApiError(400, "BadRequest", "continue key is not valid");
    }
    rv = token.rv;
    rest = items.filter((o) => keyOf(o) > token.key);
  }
  const n = limit === null ? 0 : Number(limit);
  if (!Number.isInteger(n) || n <= 0 || rest.length <= n)
    return { items: rest, metadata: { resourceVersion: rv } };
  const page = rest.slice(0, n);
  const next = Buffer.from(JSON.stringify({ rv, key: keyOf(page[page.length - 1]) })).toString("base64url");
  return {
    items: page,
    metadata: { resourceVersion: rv, continue: next, remainingItemCount: rest.length - n },
  };
}
