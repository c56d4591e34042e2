/** Errors the user can act on. Each has a stable code and a message that says what to do next. */
export const ERROR_CODES = {
  usage: 'bad command line',
  'bad-input': 'an input file or value is not usable',
  ca: 'the certificate authority could not be used',
  io: 'a file could not be read or written',
  listen: 'the proxy could not listen',
  'tls-rejected': 'a client rejected the proxy certificate',
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

export class LeastprivError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'LeastprivError';
  }
}
