/** Placeholder for a subcommand whose issue has not landed yet. */
export function notBuilt(what: string) {
  return {
    async run(): Promise<number> {
      process.stderr.write(`gregor: ${what} not built yet\n`);
      return 2;
    },
  };
}
