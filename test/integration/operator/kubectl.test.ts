/**
 * A real kubectl against the test API server, and `gregor operator` as its own process: apply the
 * CRDs from crds/, apply an example cluster from deploy/examples, read it back (printer columns),
 * delete it and see the owned objects collected.
 */
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LABEL_CLUSTER } from "../../../operator/constants.js";
import { CRD_DIR } from "../../../operator/crd/generate.js";
import { type KubeApiServer, startKubeApiServer } from "../../harness/kube/server.js";
import { waitFor } from "./helpers.js";

const root = join(import.meta.dirname, "../../..");
const KUBECTL = join(root, ".tools/kubectl");
const run = promisify(execFile);

let server: KubeApiServer;
let operator: ChildProcess | undefined;
let operatorOutput = "";

async function kubectl(...args: string[]): Promise<string> {
  const { stdout } = await run(KUBECTL, ["--kubeconfig", server.kubeconfigPath, ...args], { cwd: root });
  return stdout;
}

beforeAll(async () => {
  server = await startKubeApiServer();
});
afterAll(async () => {
  if (operator && operator.exitCode === null) {
    operator.kill("SIGTERM");
    await new Promise((r) => operator!.once("exit", r));
  }
  await server?.close();
});

// Skipped only where .tools/kubectl is missing; `bash test/setup.sh` (run by `npm test`) unpacks it.
describe.skipIf(!existsSync(KUBECTL))("kubectl and `gregor operator` against the test API server", () => {
  // tsx compiles the CLI at start: allow for a loaded machine.
  it("applies crds/, then applies, gets and deletes an example KafkaCluster", {
    timeout: 150_000,
  }, async () => {
    const crdOut = await kubectl("apply", "-f", CRD_DIR);
    expect(crdOut).toMatch(/kafkaclusters\.kafka\.gregor\.dev (created|serverside-applied|configured)/);
    expect(crdOut).toMatch(/kafkatopics\.kafka\.gregor\.dev/);
    // The operator's own manifests are well-formed for an API server too.
    const deployOut = await kubectl("apply", "-f", "deploy/operator/");
    expect(deployOut).toMatch(/deployment\.apps\/gregor-operator created/);
    expect(deployOut).toMatch(/clusterrole\.rbac\.authorization\.k8s\.io\/gregor-operator created/);

    operator = spawn(
      process.execPath,
      [
        "--import",
        "tsx",
        "cli/main.ts",
        "operator",
        "--kubeconfig",
        server.kubeconfigPath,
        "--health-port",
        "0",
        "--lease-namespace",
        "default",
      ],
      { cwd: root, stdio: ["ignore", "pipe", "pipe"] },
    );
    operator.stdout!.on("data", (d) => {
      operatorOutput += d;
    });
    operator.stderr!.on("data", (d) => {
      operatorOutput += d;
    });
    await waitFor(
      () => operatorOutput.includes("became leader"),
      30_000,
      `operator to lead; output: ${operatorOutput}`,
    );

    const applied = await kubectl(
      "apply",
      "-n",
      "default",
      "-f",
      "deploy/examples/kafkacluster-combined.yaml",
    );
    expect(applied).toMatch(/kafkacluster\.kafka\.gregor\.dev\/demo created/);
    await kubectl("apply", "-n", "default", "-f", "deploy/examples/kafkatopic-orders.yaml");

    const row = await waitFor(
      async () => {
        const out = await kubectl("get", "kafkaclusters", "-n", "default");
        return /demo\s+False\s+0\s+3\s+[A-Za-z0-9_-]{22}\s/.test(out) && out;
      },
      15_000,
      "cluster id in `kubectl get kafkaclusters`",
    );
    expect(row.split("\n")[0]).toMatch(/NAME\s+READY\s+BROKERS\s+DESIRED\s+CLUSTER-ID\s+AGE/);
    const topics = await kubectl("get", "gkt", "-n", "default");
    expect(topics.split("\n")[0]).toMatch(/NAME\s+CLUSTER\s+PARTITIONS\s+REPLICAS\s+READY\s+AGE/);
    // The Cluster column reads the label through an escaped jsonPath (`.metadata.labels.kafka\.gregor\.dev/cluster`).
    expect(topics).toMatch(/orders\s+demo\s+6\s+3/);

    const sts = await kubectl(
      "get",
      "statefulsets",
      "-n",
      "default",
      "-l",
      `${LABEL_CLUSTER}=demo`,
      "-o",
      "name",
    );
    expect(sts.trim()).toBe("statefulset.apps/demo-combined");
    const cond = await kubectl(
      "get",
      "kafkacluster",
      "demo",
      "-n",
      "default",
      "-o",
      'jsonpath={.status.conditions[?(@.type=="Reconciling")].reason}',
    );
    expect(cond).toBe("WaitingForNodes");

    expect(
      await kubectl("delete", "-n", "default", "-f", "deploy/examples/kafkacluster-combined.yaml"),
    ).toMatch(/deleted/);
    await waitFor(
      async () => {
        const out = await kubectl(
          "get",
          "statefulsets,services,poddisruptionbudgets",
          "-n",
          "default",
          "-l",
          `${LABEL_CLUSTER}=demo`,
          "-o",
          "name",
        );
        return out.trim() === "";
      },
      15_000,
      "owned objects collected",
    );
    expect(await kubectl("get", "kafkaclusters", "-n", "default", "-o", "name")).toBe("");
  });
});
