// A few defaults and conversions the real API server applies to built-in types (not all of them: see README).
import type { Json, KObject } from "./types.js";

function podSpecDefaults(spec: Json): void {
  if (!spec || typeof spec !== "object") return;
  spec.restartPolicy ??= "Always";
  spec.dnsPolicy ??= "ClusterFirst";
  spec.schedulerName ??= "default-scheduler";
  spec.terminationGracePeriodSeconds ??= 30;
  spec.securityContext ??= {};
  for (const c of [...(spec.containers ?? []), ...(spec.initContainers ?? [])]) {
    const image = String(c.image ?? "");
    const tagged = /:[^/]+$/.test(image) && !image.endsWith(":latest");
    c.imagePullPolicy ??= tagged || image.includes("@") ? "IfNotPresent" : "Always";
    c.terminationMessagePath ??= "/dev/termination-log";
    c.terminationMessagePolicy ??= "File";
    for (const p of c.ports ?? []) p.protocol ??= "TCP";
  }
}

let nextClusterIp = 10;

/** Fill defaults on `obj` (create and update); `old` is the stored object on update. */
export function applyBuiltinDefaults(group: string, plural: string, obj: KObject, old?: KObject): void {
  const key = `${group}/${plural}`;
  switch (key) {
    case "/namespaces":
      // Set by the real server on every namespace since 1.21; selectors rely on it.
      obj.metadata.labels = {
        ...(obj.metadata.labels ?? {}),
        "kubernetes.io/metadata.name": obj.metadata.name!,
      };
      obj.spec ??= {};
      obj.spec.finalizers ??= ["kubernetes"];
      obj.status ??= { phase: "Active" };
      break;
    case "/pods":
      obj.spec ??= {};
      podSpecDefaults(obj.spec);
      obj.status ??= { phase: "Pending" };
      break;
    case "/services": {
      obj.spec ??= {};
      const s = obj.spec;
      s.type ??= "ClusterIP";
      s.sessionAffinity ??= "None";
      if (s.clusterIP === undefined) {
        s.clusterIP =
          old?.spec?.clusterIP ?? `10.96.${Math.floor(nextClusterIp / 250)}.${(nextClusterIp++ % 250) + 1}`;
      }
      s.clusterIPs ??= [s.clusterIP];
      for (const p of s.ports ?? []) {
        p.protocol ??= "TCP";
        p.targetPort ??= p.port;
      }
      obj.status ??= { loadBalancer: {} };
      break;
    }
    case "/secrets":
      obj.type ??= "Opaque";
      if (obj.stringData && typeof obj.stringData === "object") {
        obj.data ??= {};
        for (const [k, v] of Object.entries(obj.stringData))
          obj.data[k] = Buffer.from(String(v)).toString("base64");
        delete obj.stringData;
      }
      break;
    case "/persistentvolumeclaims":
      obj.spec ??= {};
      obj.spec.volumeMode ??= "Filesystem";
      obj.status ??= { phase: "Pending" };
      break;
    case "apps/statefulsets": {
      obj.spec ??= {};
      const s = obj.spec;
      s.replicas ??= 1;
      s.podManagementPolicy ??= "OrderedReady";
      s.updateStrategy ??= { type: "RollingUpdate", rollingUpdate: { partition: 0 } };
      s.revisionHistoryLimit ??= 10;
      s.persistentVolumeClaimRetentionPolicy ??= { whenDeleted: "Retain", whenScaled: "Retain" };
      podSpecDefaults(s.template?.spec);
      obj.status ??= { replicas: 0, availableReplicas: 0 };
      break;
    }
    case "apps/deployments": {
      obj.spec ??= {};
      const s = obj.spec;
      s.replicas ??= 1;
      s.strategy ??= { type: "RollingUpdate", rollingUpdate: { maxUnavailable: "25%", maxSurge: "25%" } };
      s.revisionHistoryLimit ??= 10;
      s.progressDeadlineSeconds ??= 600;
      podSpecDefaults(s.template?.spec);
      obj.status ??= {};
      break;
    }
    case "apiextensions.k8s.io/customresourcedefinitions": {
      const spec = obj.spec ?? {};
      const now = new Date().toISOString().replace(/\.\d+Z$/, "Z");
      const cond = (type: string, reason: string) => ({
        type,
        status: "True",
        lastTransitionTime: now,
        reason,
        message: reason === "NoConflicts" ? "no conflicts found" : "the initial names have been accepted",
      });
      obj.status = {
        acceptedNames: spec.names,
        conditions: [cond("NamesAccepted", "NoConflicts"), cond("Established", "InitialNamesAccepted")],
        storedVersions: (spec.versions ?? []).filter((v: Json) => v.storage).map((v: Json) => v.name),
      };
      break;
    }
  }
}
