/**
 * server.properties keys the operator renders itself. A user value for one of these would break the
 * pod layout (node ids, listeners, quorum), so the schema (CEL) and the reconciler refuse them, each
 * with the reason shown to the user.
 */
export const OWNED_CONFIG_KEYS: Readonly<Record<string, string>> = {
  "node.id": "node ids are assigned per pool (nodeIdStart + pod ordinal)",
  "broker.id": "node ids are assigned per pool (nodeIdStart + pod ordinal)",
  "process.roles": "set through nodePools[].roles",
  listeners: "set through spec.listeners",
  "advertised.listeners": "derived from the per-pod DNS names",
  "listener.security.protocol.map": "derived from spec.listeners",
  "controller.listener.names": "the operator runs the CONTROLLER listener itself",
  "inter.broker.listener.name": "the operator picks the first internal listener",
  "controller.quorum.voters": "derived from the controller node pools",
  "controller.quorum.bootstrap.servers": "derived from the controller node pools",
  "log.dirs": "data lives on the pool's persistent volume",
  "log.dir": "data lives on the pool's persistent volume",
  "metadata.log.dir": "data lives on the pool's persistent volume",
  "cluster.id": "the cluster id is generated once and kept by the operator",
};
