/** What a person got wrong in an interaction: the dispatcher answers it ephemerally with `message`. */
export class UserError extends Error {
  override readonly name = 'UserError';
  /** A stable code for tests and logs ("bad-style", "not-allowed-here", ...). */
  readonly code: string;

  constructor(details: { code: string; message: string }) {
    super(details.message);
    this.code = details.code;
  }
}
