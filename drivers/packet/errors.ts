// Errors from describing or building packets.
import { SluiceError } from '../../jit/errors.ts';

/** An address written wrongly: the message quotes the text and says what was expected. */
export class AddressError extends SluiceError {}

/** A packet description that cannot be built (a field out of range, layers in an impossible order). */
export class PacketError extends SluiceError {}
