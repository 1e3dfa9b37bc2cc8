/**
 * Names, ports and paths shared by the operator's render step and the broker image. The broker and
 * the local kubelet (test harness) match these; change them here only.
 */
import { createRequire } from "node:module";

export const GROUP = "kafka.gregor.dev";
export const VERSION = "v1alpha1";
export const API_VERSION = `${GROUP}/${VERSION}`;

/** The one field manager used for every server-side apply and status write. */
export const FIELD_MANAGER = "gregor-operator";

/** Labels the operator puts on every object it renders. */
export const LABEL_CLUSTER = `${GROUP}/cluster`;
export const LABEL_POOL = `${GROUP}/pool`;
export const LABEL_COMPONENT = `${GROUP}/component`;
export const LABEL_ROLE_BROKER = `${GROUP}/broker`;
export const LABEL_ROLE_CONTROLLER = `${GROUP}/controller`;
export const LABEL_MANAGED_BY = "app.kubernetes.io/managed-by";
export const MANAGED_BY = "gregor-operator";

/** Annotations. */
export const ANNOTATION_CONFIG_HASH = `${GROUP}/config-hash`;
export const ANNOTATION_FIRST_NODE_ID = `${GROUP}/first-node-id`;

/** Ports inside a broker pod. */
export const PORT_CLIENT_DEFAULT = 9092;
export const PORT_CONTROLLER = 9093;
/** Health (/healthz, /readyz, /prestop) and Prometheus metrics (/metrics) on one HTTP port. */
export const PORT_HEALTH = 9404;
export const PATH_LIVENESS = "/healthz";
export const PATH_READINESS = "/readyz";
export const PATH_METRICS = "/metrics";
/**
 * preStop hook: a GET here asks the broker for a controlled shutdown (hand over leadership, then
 * answer); the kubelet then sends SIGTERM.
 */
export const PATH_PRESTOP = "/prestop";

/** Kafka listener name of the controller listener (KRaft). */
export const CONTROLLER_LISTENER_NAME = "CONTROLLER";

/** Mount points and files in a broker pod. */
export const DATA_DIR = "/var/lib/gregor/data";
export const DATA_VOLUME = "data";
export const CONFIG_DIR = "/etc/gregor/nodes";
export const CONFIG_VOLUME = "config";
/**
 * Each pod reads its own complete server.properties from the cluster ConfigMap, key `<pod>.properties`
 * (node.id and advertised.listeners are per pod; the kubelet expands $(POD_NAME) in args, so no
 * shell is needed in the image).
 */
export const POD_CONFIG_FILE = `${CONFIG_DIR}/$(POD_NAME).properties`;
export const ENV_POD_NAME = "POD_NAME";
export const ENV_POD_NAMESPACE = "POD_NAMESPACE";

/**
 * Contract with `gregor storage format --ignore-formatted`: when the volume already holds a
 * meta.properties of another cluster it exits with this code and writes a termination message
 * starting with this prefix (to /dev/termination-log). The operator turns that into the
 * StorageClusterIdMismatch condition.
 */
export const FORMAT_MISMATCH_EXIT_CODE = 78;
export const FORMAT_MISMATCH_MESSAGE_PREFIX = "StorageClusterIdMismatch";
export const FORMAT_INIT_CONTAINER = "format";
export const BROKER_CONTAINER = "broker";

/** Node ids: pools without an explicit nodeIdStart get blocks of this size. */
export const NODE_ID_BLOCK = 100;
export const MAX_POOL_REPLICAS = NODE_ID_BLOCK;

export const DEFAULT_CLUSTER_DOMAIN = "cluster.local";

/** Package version (the default broker image tag). */
export const PACKAGE_VERSION: string = (() => {
  const require = createRequire(import.meta.url);
  for (const rel of ["../package.json", "../../package.json"]) {
    try {
      return (require(rel) as { version: string }).version;
    } catch {
      // dist/ layout puts package.json one level further up
    }
  }
  return "0.0.0";
})();
export const DEFAULT_IMAGE = `gregor:${PACKAGE_VERSION}`;
