// Drives the test API server with the real kubectl binary (v1.31, from test/setup.sh).
import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse as parseYaml } from "yaml";
import { type KubeApiServer, startKubeApiServer } from "../../harness/kube/server.js";

const ROOT = new URL("../../../", import.meta.url).pathname;
const FIXTURES = new URL("./fixtures/", import.meta.url).pathname;
const KUBECTL = join(ROOT, ".tools/kubectl");
const HAVE_KUBECTL = existsSync(KUBECTL);
const CRDS = join(ROOT, "crds");
const EXAMPLE = join(ROOT, "deploy/examples/kafkacluster-combined.yaml");
const HAVE_GREGOR_CRDS = existsSync(CRDS) && existsSync(EXAMPLE);

if (!HAVE_KUBECTL) console.warn(`kubectl tests skipped: ${KUBECTL} is missing (run bash test/setup.sh)`);

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

// Skipped only where .tools/kubectl is missing; `bash test/setup.sh` (run by `npm test`) unpacks it.
describe.skipIf(!HAVE_KUBECTL)("test API server: real kubectl", () => {
  let server: KubeApiServer;
  let dir: string;

  /** Async on purpose: the server runs in this process, so a synchronous exec would deadlock. */
  function kubectl(args: string[], stdin?: string): Promise<Run> {
    return new Promise((resolve) => {
      const child = execFile(
        KUBECTL,
        ["--kubeconfig", server.kubeconfigPath, "--cache-dir", join(dir, "cache"), ...args],
        { env: { ...process.env, HOME: dir, KUBECONFIG: "" }, timeout: 30_000 },
        (err, stdout, stderr) =>
          resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
      );
      if (stdin !== undefined) child.stdin?.end(stdin);
    });
  }

  async function ok(args: string[], stdin?: string): Promise<string> {
    const r = await kubectl(args, stdin);
    if (r.code !== 0) throw new Error(`kubectl ${args.join(" ")} failed (${r.code}): ${r.stderr}`);
    return r.stdout;
  }

  beforeAll(async () => {
    server = await startKubeApiServer();
    dir = mkdtempSync(join(tmpdir(), "gregor-kubectl-"));
  });
  afterAll(async () => {
    await server?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("applies a CRD, then applies, gets, re-applies and deletes a custom object", async () => {
    expect(await ok(["apply", "-f", join(FIXTURES, "widgets-crd.yaml")])).toContain(
      "customresourcedefinition.apiextensions.k8s.io/widgets.example.gregor.io created",
    );
    expect(await ok(["apply", "-f", join(FIXTURES, "widget.yaml")])).toContain(
      "widget.example.gregor.io/w1 created",
    );

    const table = (await ok(["get", "widgets"])).trim().split("\n");
    expect(table[0].split(/\s+/)).toEqual(["NAME", "SIZE", "READY", "AGE"]);
    expect(table[1].split(/\s+/).slice(0, 2)).toEqual(["w1", "3"]);

    const obj = parseYaml(await ok(["get", "wdg", "w1", "-o", "yaml"]));
    expect(obj).toMatchObject({
      kind: "Widget",
      metadata: { name: "w1", generation: 1 },
      spec: { size: 3, color: "green" },
    });
    expect(obj.metadata.annotations["kubectl.kubernetes.io/last-applied-configuration"]).toContain(
      '"size":3',
    );

    const edited = readFileSync(join(FIXTURES, "widget.yaml"), "utf8").replace("size: 3", "size: 4");
    expect(await ok(["apply", "-f", "-"], edited)).toContain("widget.example.gregor.io/w1 configured");
    expect(await ok(["apply", "-f", "-"], edited)).toContain("widget.example.gregor.io/w1 unchanged");
    expect(await ok(["get", "widget", "w1", "-o", "jsonpath={.spec.size} {.metadata.generation}"])).toBe(
      "4 2",
    );

    const invalid = await kubectl(["apply", "-f", "-"], edited.replace("size: 4", "size: 0"));
    expect(invalid.code).not.toBe(0);
    expect(invalid.stderr).toContain("spec.size: Invalid value: 0");

    const immutable = await kubectl(
      ["apply", "-f", "-"],
      edited.replace("storageClass: fast", "storageClass: slow"),
    );
    expect(immutable.stderr).toContain("storageClass is immutable");

    expect(await ok(["get", "gregor"])).toMatch(/^w1\s+4\s/m); // by category

    // kubectl wait watches the object until the status condition shows up.
    const waiting = kubectl(["wait", "--for=condition=Ready", "widget/w1", "--timeout=20s"]);
    const status = { status: { conditions: [{ type: "Ready", status: "True" }] } };
    await ok(["patch", "widget", "w1", "--subresource=status", "--type=merge", "-p", JSON.stringify(status)]);
    expect((await waiting).stdout).toContain("widget.example.gregor.io/w1 condition met");
    expect((await ok(["get", "widgets"])).split("\n")[1]).toMatch(/^w1\s+4\s+True\s/);
    // Strategic merge is refused for custom resources, as on a real server.
    const smp = await kubectl(["patch", "widget", "w1", "-p", '{"spec":{"size":5}}']);
    expect(smp.stderr).toContain("is not supported");

    expect(await ok(["delete", "widget", "w1"])).toContain('widget.example.gregor.io "w1" deleted');
    const gone = await kubectl(["get", "widget", "w1"]);
    expect(gone.code).not.toBe(0);
    expect(gone.stderr).toContain('widgets.example.gregor.io "w1" not found');
  });

  it("applies a ConfigMap and a StatefulSet (client-side strategic merge, then server-side)", async () => {
    const out = await ok([
      "apply",
      "-f",
      join(FIXTURES, "configmap.yaml"),
      "-f",
      join(FIXTURES, "statefulset.yaml"),
    ]);
    expect(out).toContain("configmap/settings created");
    expect(out).toContain("statefulset.apps/broker created");
    const list = await ok(["get", "cm,sts"]);
    expect(list).toMatch(/configmap\/settings\s+2\s/);
    expect(list).toMatch(/statefulset\.apps\/broker\s+0\/3\s/);

    // Drop env B and scale: kubectl computes a three-way strategic merge patch with $setElementOrder etc.
    const sts = readFileSync(join(FIXTURES, "statefulset.yaml"), "utf8")
      .replace("replicas: 3", "replicas: 5")
      .replace(/\n\s+- name: B\n\s+value: "2"/, "");
    expect(await ok(["apply", "-f", "-"], sts)).toContain("statefulset.apps/broker configured");
    const live = JSON.parse(await ok(["get", "sts", "broker", "-o", "json"]));
    expect(live.spec.replicas).toBe(5);
    expect(live.metadata.generation).toBe(2);
    expect(live.spec.template.spec.containers.map((c: { name: string }) => c.name)).toEqual([
      "broker",
      "sidecar",
    ]);
    expect(live.spec.template.spec.containers[0].env).toEqual([{ name: "A", value: "1" }]);

    const cm = readFileSync(join(FIXTURES, "configmap.yaml"), "utf8").replace("mode: dev", "mode: prod");
    expect(await ok(["apply", "--server-side", "-f", "-"], cm)).toContain(
      "configmap/settings serverside-applied",
    );
    expect(await ok(["get", "cm", "settings", "-o", "jsonpath={.data.mode}"])).toBe("prod");
    const conflict = await kubectl(
      ["apply", "--server-side", "--field-manager=someone-else", "-f", "-"],
      cm.replace("prod", "qa"),
    );
    expect(conflict.code).not.toBe(0);
    expect(conflict.stderr).toContain('conflict with "kubectl"');
    expect(
      await ok(
        ["apply", "--server-side", "--force-conflicts", "--field-manager=someone-else", "-f", "-"],
        cm.replace("prod", "qa"),
      ),
    ).toContain("serverside-applied");

    expect(await ok(["scale", "sts", "broker", "--replicas=2"])).toContain("statefulset.apps/broker scaled");
    expect(await ok(["get", "sts", "broker", "-o", "jsonpath={.spec.replicas}"])).toBe("2");

    expect(await ok(["delete", "-f", join(FIXTURES, "statefulset.yaml")])).toContain(
      'statefulset.apps "broker" deleted',
    );
    expect(await ok(["get", "sts"], undefined)).toBe("");
  });

  // crds/ and deploy/examples/ are committed, so this runs; it is skipped only in a tree without them.
  it.skipIf(!HAVE_GREGOR_CRDS)(
    "applies crds/ and applies, gets and deletes a KafkaCluster from deploy/examples",
    async () => {
      const applied = await ok(["apply", "-f", CRDS]);
      for (const f of readdirSync(CRDS).filter((x) => x.endsWith(".yaml"))) {
        const name = parseYaml(readFileSync(join(CRDS, f), "utf8")).metadata.name;
        expect(applied).toContain(`customresourcedefinition.apiextensions.k8s.io/${name} created`);
      }
      const doc = parseYaml(readFileSync(EXAMPLE, "utf8"));
      const name: string = doc.metadata.name;
      expect(await ok(["apply", "-f", EXAMPLE])).toContain(`kafkacluster.kafka.gregor.dev/${name} created`);
      expect((await ok(["get", "kafkaclusters"])).split("\n")[1]).toMatch(new RegExp(`^${name}\\s`));
      const live = parseYaml(await ok(["get", "kafkacluster", name, "-o", "yaml"]));
      expect(live.spec.nodePools[0].name).toBe(doc.spec.nodePools[0].name);
      const file = join(dir, "edited.yaml");
      const edited = structuredClone(doc);
      edited.metadata.labels = { edited: "yes" };
      writeFileSync(file, JSON.stringify(edited));
      expect(await ok(["apply", "-f", file])).toContain("configured");
      expect(await ok(["delete", "-f", EXAMPLE])).toContain(
        `kafkacluster.kafka.gregor.dev "${name}" deleted`,
      );
      expect(await ok(["get", "kafkaclusters"])).toBe("");
    },
  );
});

if (!HAVE_GREGOR_CRDS)
  console.warn(
    "KafkaCluster kubectl test skipped: crds/ or deploy/examples/kafkacluster-combined.yaml is missing",
  );
