import { describe, expect, it } from "vitest";
import { javaStringHashCode, kafkaAbs, partitionFor } from "../../../broker/coordinator/group/partitioner.js";

// Expected values were printed by a real JVM (String.hashCode, then Kafka's Utils.abs % 50).
const JAVA: [string, number, number][] = [
  ["", 0, 0],
  ["a", 97, 47],
  ["hello", 99162322, 22],
  ["polygenelubricants", -2147483648, 0],
  ["my-group", -1906497762, 12],
  ["test-consumer-group", -1793216381, 31],
  ["console-consumer-12345", 158455506, 6],
  ["grüppe-✓", 243500762, 12],
  ["\u{1D11E}group", 1490451797, 47],
  ["connect-cluster", 1440343063, 13],
];

describe("partitionFor", () => {
  it.each(JAVA)("hashes %j like Java String.hashCode", (s, hash, partition) => {
    expect(javaStringHashCode(s)).toBe(hash);
    expect(partitionFor(s, 50)).toBe(partition);
  });

  it("maps Integer.MIN_VALUE to 0 like Kafka's Utils.abs", () => {
    expect(kafkaAbs(-2147483648)).toBe(0);
    expect(kafkaAbs(-5)).toBe(5);
    expect(partitionFor("polygenelubricants", 7)).toBe(0);
  });

  it("honours the partition count", () => {
    expect(partitionFor("hello", 1)).toBe(0);
    expect(partitionFor("hello", 7)).toBe(99162322 % 7);
  });
});
