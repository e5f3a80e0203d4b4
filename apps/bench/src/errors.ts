/** Base class of every error the bench app throws on purpose (bad options, bad case files, failed checks). */
export class BenchError extends Error {
  override name = 'BenchError';
}

/** A command-line option or value the CLI does not know; the message lists the valid ones. */
export class BenchUsageError extends BenchError {
  override name = 'BenchUsageError';
}

/** The case file does not have the shape this bench understands. */
export class BenchCaseFileError extends BenchError {
  override name = 'BenchCaseFileError';
}
