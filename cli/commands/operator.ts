/**
 * `gregor operator`: runs the Kubernetes operator until SIGTERM/SIGINT.
 *   --kubeconfig FILE        (default: in-cluster config, else $KUBECONFIG / ~/.kube/config)
 *   --namespace NS           watch one namespace (default: all; env WATCH_NAMESPACE)
 *   --lease-namespace NS     where the leader Lease lives (default: env POD_NAMESPACE or "default")
 *   --health-port N          /healthz, /readyz, /metrics (default 8080)
 *   --id NAME                leader election identity (default: env POD_NAME or hostname-pid)
 *   --log-level LEVEL        pino level (default info)
 *   --broker-image IMAGE     image for clusters that set neither image nor version
 *                            (default gregor:<package version>; env GREGOR_BROKER_IMAGE)
 *   --cluster-domain DOMAIN  DNS domain of the cluster's Services (default cluster.local)
 */
import { KubeConfig } from "@kubernetes/client-node";
import { pino } from "pino";
import { DEFAULT_CLUSTER_DOMAIN, DEFAULT_IMAGE } from "../../operator/constants.js";
import { Operator } from "../../operator/main.js";

interface Args {
  kubeconfig?: string;
  namespace?: string;
  leaseNamespace: string;
  healthPort: number;
  id?: string;
  logLevel: string;
  brokerImage: string;
  clusterDomain: string;
}

const USAGE =
  "usage: gregor operator [--kubeconfig FILE] [--namespace NS] [--lease-namespace NS] [--health-port N]\n" +
  "                       [--id NAME] [--log-level LEVEL] [--broker-image IMAGE] [--cluster-domain DOMAIN]\n";

export function parseArgs(argv: string[]): Args | string {
  const a: Args = {
    namespace: process.env.WATCH_NAMESPACE || undefined,
    leaseNamespace: process.env.POD_NAMESPACE || "default",
    healthPort: 8080,
    id: process.env.POD_NAME || undefined,
    logLevel: "info",
    brokerImage: process.env.GREGOR_BROKER_IMAGE || DEFAULT_IMAGE,
    clusterDomain: DEFAULT_CLUSTER_DOMAIN,
  };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i]!;
    if (flag === "--help" || flag === "-h") return USAGE;
    const value = argv[i + 1];
    if (value === undefined || value.startsWith("--"))
      return `gregor operator: ${flag} needs a value\n${USAGE}`;
    i++;
    switch (flag) {
      case "--kubeconfig":
        a.kubeconfig = value;
        break;
      case "--namespace":
        a.namespace = value;
        break;
      case "--lease-namespace":
        a.leaseNamespace = value;
        break;
      case "--health-port": {
        const n = Number(value);
        if (!Number.isInteger(n) || n < 0 || n > 65535)
          return `gregor operator: bad --health-port ${value}\n`;
        a.healthPort = n;
        break;
      }
      case "--id":
        a.id = value;
        break;
      case "--log-level":
        a.logLevel = value;
        break;
      case "--broker-image":
        a.brokerImage = value;
        break;
      case "--cluster-domain":
        a.clusterDomain = value;
        break;
      default:
        return `gregor operator: unknown option ${flag}\n${USAGE}`;
    }
  }
  return a;
}

export async function run(argv: string[]): Promise<number> {
  const args = parseArgs(argv);
  if (typeof args === "string") {
    const help = args === USAGE;
    (help ? process.stdout : process.stderr).write(args);
    return help ? 0 : 1;
  }
  const log = pino({ level: args.logLevel, base: { component: "operator" } });
  const kc = new KubeConfig();
  try {
    if (args.kubeconfig) kc.loadFromFile(args.kubeconfig);
    else kc.loadFromDefault();
  } catch (err) {
    process.stderr.write(
      `gregor operator: cannot load kubeconfig: ${err instanceof Error ? err.message : err}\n`,
    );
    return 1;
  }
  if (!kc.getCurrentCluster()) {
    process.stderr.write(
      "gregor operator: no Kubernetes cluster configured (kubeconfig has no current cluster)\n",
    );
    return 1;
  }
  const op = new Operator({
    kubeConfig: kc,
    log,
    watchNamespace: args.namespace,
    leaseNamespace: args.leaseNamespace,
    identity: args.id,
    healthPort: args.healthPort,
    renderContext: { defaultImage: args.brokerImage, clusterDomain: args.clusterDomain },
  });
  await op.start();
  log.info(
    { identity: op.identity, healthPort: op.healthPort, namespace: args.namespace ?? "(all)" },
    "operator started",
  );
  await new Promise<void>((resolve) => {
    process.once("SIGTERM", resolve);
    process.once("SIGINT", resolve);
  });
  log.info("shutting down");
  await op.stop();
  return 0;
}
