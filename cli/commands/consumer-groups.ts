import { notBuilt } from "./not-built.js";

export const { run } = notBuilt("consumer-groups");
