// The error of a cloud configuration that cannot be used: its message names the file, cloud or key
// at fault and never holds a credential.
export class CloudConfigError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'CloudConfigError';
  }
}
