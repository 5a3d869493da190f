/** Every this many pulls, the names of every document are checked (renames, late commits). */
export const DEFAULT_CHECK_EVERY = 24;
