/**
 * The informer against the test API server: it keeps its cache in step through a watch, resumes
 * after a dropped connection, and relists (reporting deletions it missed) when its resourceVersion
 * has expired (410 Gone).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { KubeObj } from "../../../operator/kube/client.js";
import { type ChangeType, Informer } from "../../../operator/kube/informer.js";
import { CONFIG_MAP } from "../../../operator/kube/resources.js";
import { type KubeApiServer, startKubeApiServer } from "../../harness/kube/server.js";
import { client, waitFor } from "./helpers.js";

type Cm = KubeObj & { data?: Record<string, string> };
const NS = "default";
let server: KubeApiServer;

beforeAll(async () => {
  // A short watch history, so a client that misses a few events must relist.
  server = await startKubeApiServer({ historyLimit: 3 });
});
afterAll(async () => {
  await server?.close();
});

const cm = (name: string, v: string): Cm => ({
  apiVersion: "v1",
  kind: "ConfigMap",
  metadata: { name, namespace: NS, labels: { app: "inf" } },
  data: { v },
});

describe("Informer", () => {
  it("follows changes, and relists after its resourceVersion expired while disconnected", async () => {
    const c = client(server);
    await c.create(cm("a", "1"));
    await c.create(cm("gone-later", "1"));
    const seen: Array<[ChangeType, string]> = [];
    const inf = new Informer<Cm>(c, CONFIG_MAP, {
      namespace: NS,
      labelSelector: "app=inf",
      retryMs: 300,
      onChange: (t, o) => seen.push([t, o.metadata.name]),
    });
    inf.start();
    try {
      await inf.synced;
      expect(
        inf
          .list()
          .map((o) => o.metadata.name)
          .sort(),
      ).toEqual(["a", "gone-later"]);

      await c.apply(cm("a", "2"));
      await waitFor(() => inf.get(NS, "a")?.data?.v === "2", 10_000, "watch event");

      // Drop the connection, then make more changes than the server keeps history for.
      (inf as unknown as { abort?: AbortController }).abort?.abort();
      await c.delete(CONFIG_MAP, NS, "gone-later");
      for (let i = 0; i < 5; i++) await c.apply(cm("a", `x${i}`));
      await c.create(cm("b", "1"));

      await waitFor(
        () => inf.get(NS, "b") && !inf.get(NS, "gone-later") && inf.get(NS, "a")?.data?.v === "x4",
        10_000,
        "cache caught up",
      );
      expect(seen).toContainEqual(["DELETED", "gone-later"]);
      expect(seen).toContainEqual(["ADDED", "b"]);
    } finally {
      inf.stop();
    }
  });
});
