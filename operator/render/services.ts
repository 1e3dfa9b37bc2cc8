/** Headless Service (per-pod DNS, quorum traffic) and bootstrap Service (client entry point). */
import { LABEL_ROLE_BROKER, PORT_CONTROLLER, PORT_HEALTH } from "../constants.js";
import type { ClusterModel } from "./model.js";
import { bootstrapServiceName, headlessServiceName, type KubeObject, meta, nodeSelector } from "./names.js";

function listenerPorts(m: ClusterModel) {
  return m.listeners.map((l) => ({ name: l.name, port: l.port, targetPort: l.port, protocol: "TCP" }));
}

export function renderHeadlessService(m: ClusterModel): KubeObject {
  return {
    apiVersion: "v1",
    kind: "Service",
    metadata: meta(m, headlessServiceName(m.name), "headless"),
    spec: {
      clusterIP: "None",
      // Controllers must find each other before any of them is ready (quorum bootstrap).
      publishNotReadyAddresses: true,
      selector: nodeSelector(m),
      ports: [
        ...listenerPorts(m),
        { name: "controller", port: PORT_CONTROLLER, targetPort: PORT_CONTROLLER, protocol: "TCP" },
        { name: "health", port: PORT_HEALTH, targetPort: PORT_HEALTH, protocol: "TCP" },
      ],
    },
  };
}

export function renderBootstrapService(m: ClusterModel): KubeObject {
  return {
    apiVersion: "v1",
    kind: "Service",
    metadata: meta(m, bootstrapServiceName(m.name), "bootstrap"),
    spec: {
      type: "ClusterIP",
      selector: { ...nodeSelector(m), [LABEL_ROLE_BROKER]: "true" },
      ports: listenerPorts(m),
    },
  };
}
