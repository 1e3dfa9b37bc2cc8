// Runs the test API server standalone for debugging: `npx tsx test/harness/kube/dev-server.ts [--log] [crd.yaml...]`.
import { startKubeApiServer } from "./server.js";

const args = process.argv.slice(2);
const log = args.includes("--log");
const server = await startKubeApiServer({
  crdFiles: args.filter((a) => a !== "--log"),
  log: log ? (l) => process.stderr.write(`${l}\n`) : undefined,
});
process.stdout.write(`${server.url}\nkubeconfig: ${server.kubeconfigPath}\n`);
const stop = (): void => {
  void server.close().then(() => process.exit(0));
};
process.on("SIGINT", stop);
process.on("SIGTERM", stop);
