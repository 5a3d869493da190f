/** Every this many pulls, the names of every document are checked (renames, late commits). */
export const DEFAULT_CHECK_EVERY = 24;
/**
 * Hours between full pulls: what a raw SQL write or `set_value(..., update_modified=False)`
 * changed leaves no trace a lighter pull can see, so a full pull bounds how long the cache can
 * miss it. 0: never by time.
 */
export const DEFAULT_FULL_EVERY_HOURS = 24;
