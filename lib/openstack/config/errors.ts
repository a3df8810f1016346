// The error of a cloud configuration that cannot be used: its message names the file, cloud or key
// at fault and never holds a credential. A HotstackError, so the module protocol reports it as a
// failure with that message.
import { HotstackError } from '../../errors.ts';

/** clouds.yaml, secure.yaml or the OS_* variables do not describe a usable cloud; the message says where. */
export class CloudConfigError extends HotstackError {}
