/** dev's defaults, apart from its code so that the command table (help) loads nothing heavy. */

/** Seconds between pulls when following Frappe. */
export const DEFAULT_DEV_INTERVAL_SECONDS = 10;
