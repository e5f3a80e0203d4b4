import { NibbleError, ValueError } from '@nibble/core';

/** An invalid training option (e.g. neither `epochs` nor `steps`, a negative `evalEvery`, an unknown monitor). */
export class TrainError extends ValueError {
  override name = 'TrainError';
}

/**
 * A checkpoint that cannot be used: unreadable, truncated, corrupt (checksum mismatch), written by another format, or
 * not matching the model or optimizer. The message names the file and what is wrong; the file is never modified.
 */
export class CheckpointError extends NibbleError {
  override name = 'CheckpointError';
}
