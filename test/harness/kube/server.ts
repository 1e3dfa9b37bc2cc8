// The in-process Kubernetes API server for tests: real HTTP on 127.0.0.1 that client-node and kubectl use.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { KubeConfig } from "@kubernetes/client-node";
import { parseAllDocuments } from "yaml";
import { KubeApi } from "./api.js";
import { INITIAL_NAMESPACES } from "./builtins.js";
import { Collector } from "./gc.js";
import { Registry } from "./registry.js";
import { Router } from "./router.js";
import { Store } from "./store.js";
import { type KObject, splitApiVersion } from "./types.js";
import { WatchHub } from "./watch.js";

export interface KubeApiServer {
  /** http://127.0.0.1:<port> */
  url: string;
  /** A kubeconfig file for kubectl (plain http, a dummy token that is not checked). */
  kubeconfigPath: string;
  /** A @kubernetes/client-node KubeConfig pointing at the server. */
  kubeConfig(): KubeConfig;
  /** Direct access to the operations, for tests that want to bypass HTTP. */
  api: KubeApi;
  close(): Promise<void>;
}

export interface KubeApiServerOptions {
  port?: number;
  /** YAML files of CRDs (or any objects) to create before serving. */
  crdFiles?: string[];
  /** Interval of BOOKMARK events on watches that allow them (default 5s). */
  bookmarkIntervalMs?: number;
  /** Watch events kept for resume; older resourceVersions get 410 Gone (default 5000). */
  historyLimit?: number;
  /** Log each request (e.g. console.error) while debugging. */
  log?: (line: string) => void;
}

const PRELOAD = {
  manager: "gregor-test-apiserver",
  dryRun: false,
  fieldValidation: "Strict" as const,
  force: false,
};

export async function startKubeApiServer(opts: KubeApiServerOptions = {}): Promise<KubeApiServer> {
  const store = new Store(opts.historyLimit ?? 5000);
  const registry = new Registry();
  const api = new KubeApi(registry, store);
  const gc = new Collector(api);
  api.onDelete = () => gc.schedule();
  const nsType = registry.lookup("", "v1", "namespaces")!;
  for (const ns of INITIAL_NAMESPACES) api.create(nsType, undefined, { metadata: { name: ns } }, PRELOAD);
  for (const file of opts.crdFiles ?? []) {
    for (const doc of parseAllDocuments(readFileSync(file, "utf8"))) {
      const obj = doc.toJS() as KObject | null;
      if (!obj?.kind) continue;
      const { group, version } = splitApiVersion(String(obj.apiVersion));
      const t = registry.byKind(group, version, obj.kind);
      if (!t) throw new Error(`${file}: no served resource for ${obj.apiVersion} ${obj.kind}`);
      api.create(t, t.namespaced ? (obj.metadata?.namespace ?? "default") : undefined, obj, PRELOAD);
    }
  }
  const watches = new WatchHub(store);
  const router = new Router(api, watches, {
    bookmarkIntervalMs: opts.bookmarkIntervalMs ?? 5000,
    log: opts.log,
  });
  const server: Server = createServer((req, res) => void router.handle(req, res));
  // Longer than clients' idle timeouts (undici: 4s), so a client never reuses a socket the server just closed.
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 70_000;
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(opts.port ?? 0, "127.0.0.1", () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const url = `http://127.0.0.1:${port}`;
  const dir = mkdtempSync(join(tmpdir(), "gregor-kube-"));
  const kubeconfigPath = join(dir, "kubeconfig");
  writeFileSync(kubeconfigPath, kubeconfigYaml(url));
  return {
    url,
    kubeconfigPath,
    api,
    kubeConfig() {
      const kc = new KubeConfig();
      kc.loadFromString(kubeconfigYaml(url));
      return kc;
    },
    async close() {
      gc.close();
      watches.closeAll();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function kubeconfigYaml(url: string): string {
  return [
    "apiVersion: v1",
    "kind: Config",
    "clusters:",
    "- name: gregor-test",
    "  cluster:",
    `    server: ${url}`,
    // client-node refuses plain http unless TLS verification is off; kubectl ignores it for http.
    "    insecure-skip-tls-verify: true",
    "users:",
    "- name: gregor-test",
    "  user:",
    "    token: gregor-test-token",
    "contexts:",
    "- name: gregor-test",
    "  context:",
    "    cluster: gregor-test",
    "    user: gregor-test",
    "    namespace: default",
    "current-context: gregor-test",
    "",
  ].join("\n");
}
