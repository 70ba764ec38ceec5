/** Something the person running a command got wrong: printed as one line on stderr, exit code 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** Runs a command's main, turning failures into one clear line and an exit code (2: bad input, 1: a bug). */
export async function runCli(main: () => Promise<void>, isUsageError: (error: unknown) => boolean): Promise<void> {
  try {
    await main();
  } catch (error) {
    if (error instanceof UsageError || isUsageError(error)) {
      const message = error instanceof Error ? error.message : String(error);
      process.stderr.write(`error: ${message.replace(/\s*\n\s*/g, ' ').trim()}\n`);
      process.exitCode = 2;
      return;
    }
    process.stderr.write(
      `internal error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    process.exitCode = 1;
  }
}
