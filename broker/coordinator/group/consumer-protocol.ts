/**
 * Reads the subscribed topics out of a "consumer" protocol subscription (ConsumerProtocolSubscription,
 * all versions start with int16 version + array of topic strings). The coordinator only needs the
 * topics, for offset expiry and OffsetDelete's GROUP_SUBSCRIBED_TO_TOPIC; anything unreadable yields
 * null (unknown), as in Kafka.
 */
export function subscribedTopics(metadata: Buffer): string[] | null {
  try {
    if (metadata.length < 6) return null;
    const version = metadata.readInt16BE(0);
    if (version < 0) return null;
    let at = 2;
    const n = metadata.readInt32BE(at);
    at += 4;
    if (n < 0 || n > metadata.length) return null;
    const topics: string[] = [];
    for (let i = 0; i < n; i++) {
      const len = metadata.readInt16BE(at);
      at += 2;
      if (len < 0 || at + len > metadata.length) return null;
      topics.push(metadata.toString("utf8", at, at + len));
      at += len;
    }
    return topics;
  } catch {
    return null;
  }
}
