/**
 * The one source of the custom resources: TypeBox schemas give both the TypeScript types
 * (Static<>) and the OpenAPI v3 schemas written into crds/*.yaml. Schemas are kept structural
 * (Kubernetes' rules: a type on every node, no const/anyOf/patternProperties, no uniqueItems),
 * which is why a few nodes use Type.Unsafe with hand-written OpenAPI.
 */
import { type Static, type TSchema, Type } from "@sinclair/typebox";
import { MAX_POOL_REPLICAS, PORT_CONTROLLER, PORT_HEALTH } from "../constants.js";
import { OWNED_CONFIG_KEYS } from "./owned-keys.js";

interface CelRule {
  rule: string;
  message: string;
  reason?: string;
  fieldPath?: string;
}
const cel = (...rules: CelRule[]) => ({ "x-kubernetes-validations": rules });
const immutable = (what: string) => cel({ rule: "self == oldSelf", message: `${what} is immutable` });

function StringEnum<const T extends readonly string[]>(values: T, opts: Record<string, unknown> = {}) {
  return Type.Unsafe<T[number]>({ type: "string", enum: [...values], ...opts });
}
function StringMap(opts: Record<string, unknown> = {}) {
  return Type.Unsafe<Record<string, string>>({
    type: "object",
    additionalProperties: { type: "string" },
    ...opts,
  });
}
/** Map of int-or-string values: server.properties style config, resource quantities. */
function IntOrStringMap(opts: Record<string, unknown> = {}) {
  return Type.Unsafe<Record<string, string | number>>({
    type: "object",
    additionalProperties: { "x-kubernetes-int-or-string": true },
    ...opts,
  });
}
/** An object Kubernetes passes through unchecked (affinity, tolerations: core types). */
function OpaqueObject(description: string) {
  return Type.Unsafe<Record<string, unknown>>({
    type: "object",
    "x-kubernetes-preserve-unknown-fields": true,
    description,
  });
}

const DNS_LABEL = "^[a-z]([-a-z0-9]*[a-z0-9])?$";

// ---------------------------------------------------------------- KafkaCluster

export const NodeRole = StringEnum(["broker", "controller"] as const);
export type NodeRole = Static<typeof NodeRole>;

export const Storage = Type.Object({
  size: Type.Optional(
    Type.String({
      default: "10Gi",
      pattern: "^[0-9]+(\\.[0-9]+)?(Ki|Mi|Gi|Ti|Pi|Ei|k|M|G|T|P|E)?$",
      description: "Requested size of each node's volume (a Kubernetes quantity).",
    }),
  ),
  storageClassName: Type.Optional(
    Type.String({
      description: "Storage class of the volumes (immutable).",
      ...immutable("storageClassName"),
    }),
  ),
  deleteClaim: Type.Optional(
    Type.Boolean({
      default: false,
      description: "Delete the volumes when the cluster is deleted (default keeps them).",
    }),
  ),
});
export type Storage = Static<typeof Storage>;

export const Resources = Type.Object({
  requests: Type.Optional(IntOrStringMap({ description: "e.g. cpu: 500m, memory: 2Gi" })),
  limits: Type.Optional(IntOrStringMap()),
});
export type Resources = Static<typeof Resources>;

export const PodTemplate = Type.Object({
  labels: Type.Optional(StringMap({ description: "Extra labels on the pods." })),
  annotations: Type.Optional(StringMap({ description: "Extra annotations on the pods." })),
  affinity: Type.Optional(OpaqueObject("A core/v1 Affinity.")),
  tolerations: Type.Optional(
    Type.Array(OpaqueObject("A core/v1 Toleration."), { maxItems: 64, description: "Pod tolerations." }),
  ),
});
export type PodTemplate = Static<typeof PodTemplate>;

export const NodePool = Type.Object({
  name: Type.String({ pattern: DNS_LABEL, minLength: 1, maxLength: 30 }),
  roles: Type.Array(NodeRole, {
    minItems: 1,
    maxItems: 2,
    "x-kubernetes-list-type": "set",
    description: "KRaft process roles of the pool's nodes (immutable).",
    ...immutable("roles"),
  }),
  replicas: Type.Integer({ minimum: 1, maximum: MAX_POOL_REPLICAS }),
  nodeIdStart: Type.Optional(
    Type.Integer({
      minimum: 0,
      maximum: 2_000_000_000,
      description:
        "Node id of the pool's ordinal 0; ordinal n gets nodeIdStart + n. Assigned by the operator when absent (immutable).",
      ...immutable("nodeIdStart"),
    }),
  ),
  storage: Type.Optional(Storage),
  resources: Type.Optional(Resources),
  template: Type.Optional(PodTemplate),
});
export type NodePool = Static<typeof NodePool>;

export const ListenerType = StringEnum(["internal"] as const, {
  description: "internal: reachable inside the Kubernetes cluster (nodeport/loadbalancer later).",
});

export const Listener = Type.Object({
  name: Type.String({
    pattern: "^[a-z][a-z0-9]{0,14}$",
    description: "Lower-case; Kafka's name is upper-case.",
  }),
  port: Type.Integer({ minimum: 1024, maximum: 65535 }),
  type: ListenerType,
  tls: Type.Optional(Type.Boolean({ default: false })),
});
export type Listener = Static<typeof Listener>;

const ownedKeyRules: CelRule[] = Object.entries(OWNED_CONFIG_KEYS).map(([key, why]) => ({
  rule: `!('${key}' in self)`,
  message: `${key} is managed by the operator: ${why}`,
  reason: "FieldValueForbidden",
}));

export const KafkaClusterSpec = Type.Object({
  image: Type.Optional(
    Type.String({ minLength: 1, description: "Broker image (default gregor:<version>)." }),
  ),
  version: Type.Optional(
    Type.String({ pattern: "^[0-9A-Za-z._-]+$", description: "Image tag when image is unset." }),
  ),
  nodePools: Type.Optional(
    Type.Array(NodePool, {
      minItems: 1,
      maxItems: 16,
      default: [{ name: "combined", roles: ["broker", "controller"], replicas: 3 }],
      "x-kubernetes-list-type": "map",
      "x-kubernetes-list-map-keys": ["name"],
      description: "Groups of identical nodes; one StatefulSet each. Default: one combined pool of 3.",
      ...cel(
        {
          rule: "self.exists(p, 'controller' in p.roles)",
          message: "at least one pool needs the controller role",
        },
        { rule: "self.exists(p, 'broker' in p.roles)", message: "at least one pool needs the broker role" },
      ),
    }),
  ),
  listeners: Type.Optional(
    Type.Array(Listener, {
      minItems: 1,
      maxItems: 8,
      default: [{ name: "plain", port: 9092, type: "internal", tls: false }],
      "x-kubernetes-list-type": "map",
      "x-kubernetes-list-map-keys": ["name"],
      ...cel(
        {
          rule: `self.all(l, l.port != ${PORT_CONTROLLER} && l.port != ${PORT_HEALTH})`,
          message: `ports ${PORT_CONTROLLER} (controller) and ${PORT_HEALTH} (health/metrics) are reserved`,
        },
        {
          rule: "self.all(l, self.exists_one(m, m.port == l.port))",
          message: "listener ports must be distinct",
        },
      ),
    }),
  ),
  config: Type.Optional(
    IntOrStringMap({
      maxProperties: 512,
      description: "server.properties entries (Kafka's names); keys the operator manages are refused.",
      ...cel(...ownedKeyRules),
    }),
  ),
  rack: Type.Optional(
    Type.Object({
      topologyKey: Type.String({
        minLength: 1,
        description: "Node label spread over, e.g. topology.kubernetes.io/zone.",
      }),
    }),
  ),
  metrics: Type.Optional(Type.Object({ enabled: Type.Optional(Type.Boolean({ default: true })) })),
});
export type KafkaClusterSpec = Static<typeof KafkaClusterSpec>;

export const ConditionStatus = StringEnum(["True", "False", "Unknown"] as const);

export const Condition = Type.Object({
  type: Type.String(),
  status: ConditionStatus,
  reason: Type.Optional(Type.String()),
  message: Type.Optional(Type.String()),
  lastTransitionTime: Type.Optional(Type.String()),
  observedGeneration: Type.Optional(Type.Integer()),
});
export type Condition = Static<typeof Condition>;

const Conditions = Type.Array(Condition, {
  "x-kubernetes-list-type": "map",
  "x-kubernetes-list-map-keys": ["type"],
});

export const PoolStatus = Type.Object({
  name: Type.String(),
  roles: Type.Array(NodeRole),
  nodeIds: Type.Array(Type.Integer()),
  replicas: Type.Integer(),
  readyReplicas: Type.Integer(),
});
export type PoolStatus = Static<typeof PoolStatus>;

export const ListenerStatus = Type.Object({
  name: Type.String(),
  bootstrapServers: Type.String(),
});
export type ListenerStatus = Static<typeof ListenerStatus>;

export const OperationStatus = Type.Object({
  type: Type.String({ description: "e.g. ScaleUp, ScaleDown, RollingRestart" }),
  step: Type.Optional(Type.String()),
  startedAt: Type.Optional(Type.String()),
  message: Type.Optional(Type.String()),
});
export type OperationStatus = Static<typeof OperationStatus>;

export const KafkaClusterStatus = Type.Object({
  observedGeneration: Type.Optional(Type.Integer()),
  conditions: Type.Optional(Conditions),
  clusterId: Type.Optional(Type.String()),
  nodePools: Type.Optional(Type.Array(PoolStatus)),
  listeners: Type.Optional(Type.Array(ListenerStatus)),
  brokers: Type.Optional(Type.Integer({ description: "Desired broker-role nodes." })),
  readyBrokers: Type.Optional(Type.Integer()),
  readyNodes: Type.Optional(Type.Integer()),
  operation: Type.Optional(OperationStatus),
});
export type KafkaClusterStatus = Static<typeof KafkaClusterStatus>;

// ---------------------------------------------------------------- KafkaTopic

export const KafkaTopicSpec = Type.Object({
  topicName: Type.Optional(
    Type.String({
      pattern: "^[a-zA-Z0-9._-]+$",
      minLength: 1,
      maxLength: 249,
      description: "Kafka topic name; defaults to metadata.name (immutable).",
      ...immutable("topicName"),
    }),
  ),
  partitions: Type.Integer({
    minimum: 1,
    maximum: 100_000,
    ...cel({ rule: "self >= oldSelf", message: "partitions cannot be decreased" }),
  }),
  replicationFactor: Type.Integer({ minimum: 1, maximum: 32767 }),
  config: Type.Optional(
    IntOrStringMap({ maxProperties: 256, description: "Topic configs (Kafka's names)." }),
  ),
});
export type KafkaTopicSpec = Static<typeof KafkaTopicSpec>;

export const KafkaTopicStatus = Type.Object({
  observedGeneration: Type.Optional(Type.Integer()),
  conditions: Type.Optional(Conditions),
  topicId: Type.Optional(Type.String()),
  topicName: Type.Optional(Type.String()),
});
export type KafkaTopicStatus = Static<typeof KafkaTopicStatus>;

// ---------------------------------------------------------------- resources

export interface ObjectMeta {
  name: string;
  namespace?: string;
  uid?: string;
  generation?: number;
  resourceVersion?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  creationTimestamp?: string;
  deletionTimestamp?: string;
  ownerReferences?: OwnerReference[];
}
export interface OwnerReference {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
  controller?: boolean;
  blockOwnerDeletion?: boolean;
}

export interface KafkaCluster {
  apiVersion: string;
  kind: "KafkaCluster";
  metadata: ObjectMeta;
  spec: KafkaClusterSpec;
  status?: KafkaClusterStatus;
}
export interface KafkaTopic {
  apiVersion: string;
  kind: "KafkaTopic";
  metadata: ObjectMeta;
  spec: KafkaTopicSpec;
  status?: KafkaTopicStatus;
}

/** Root schema of a custom resource: metadata is Kubernetes' own, spec and status are ours. */
export function resourceSchema(spec: TSchema, status: TSchema): TSchema {
  return Type.Object({
    apiVersion: Type.Optional(Type.String()),
    kind: Type.Optional(Type.String()),
    metadata: Type.Optional(Type.Unsafe<ObjectMeta>({ type: "object" })),
    spec,
    status: Type.Optional(status),
  });
}
