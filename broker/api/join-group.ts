import type { JoinGroupResponse } from "../../protocol/generated/messages/JoinGroupResponse.js";
import type { ApiHandler } from "./context.js";

/**
 * JoinGroup: v0 has no rebalance timeout (the session timeout stands in), v5 adds static
 * membership (group.instance.id), v8 a reason. The protocol name is nullable only from v7.
 */
/** Kafka reports a member's host as InetAddress.toString: "/127.0.0.1". */
export function clientHostOf(remote: string): string {
  const colon = remote.lastIndexOf(":");
  const host = colon > 0 ? remote.slice(0, colon) : remote;
  return `/${host.replace(/^::ffff:/, "")}`;
}

export const joinGroupHandler: ApiHandler<11> = {
  apiKey: 11,
  async handle(req, ctx, broker): Promise<JoinGroupResponse> {
    const v = ctx.apiVersion;
    const r = await broker.groups.coordinator.joinGroup({
      apiVersion: v,
      groupId: req.groupId,
      memberId: req.memberId,
      groupInstanceId: v >= 5 ? req.groupInstanceId : null,
      sessionTimeoutMs: req.sessionTimeoutMs,
      rebalanceTimeoutMs: v === 0 ? req.sessionTimeoutMs : req.rebalanceTimeoutMs,
      protocolType: req.protocolType,
      protocols: req.protocols.map((p) => ({ name: p.name, metadata: p.metadata })),
      clientId: ctx.clientId ?? "",
      clientHost: clientHostOf(ctx.conn.remote),
      reason: v >= 8 ? req.reason : null,
    });
    return {
      throttleTimeMs: 0,
      errorCode: r.errorCode,
      generationId: r.generationId,
      protocolType: r.protocolType,
      protocolName: v >= 7 ? r.protocolName : (r.protocolName ?? ""),
      leader: r.leader,
      skipAssignment: v >= 9 && r.skipAssignment,
      memberId: r.memberId,
      members: r.members.map((m) => ({
        memberId: m.memberId,
        groupInstanceId: m.groupInstanceId,
        metadata: m.metadata,
      })),
    };
  },
};
