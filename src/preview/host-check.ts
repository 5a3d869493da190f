/**
 * Which Host headers the preview answers: a defence against DNS rebinding, where a page on
 * another site points its own name at 127.0.0.1 and reads what the local server answers (the
 * built files, with any signed video URLs in them, and the last deploy's report). A browser
 * always sends the name it resolved, so the preview answers only names that are this machine's
 * (`localhost` and `*.localhost`, IP addresses) and those the user allowed (`--allow-host`, for a
 * tunnel or a forwarded port such as a Codespace's). Pure.
 */
const OCTET = '(25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)';
/** A dotted IPv4 address, as a browser writes one in a Host header. */
const IPV4 = new RegExp(`^${OCTET}(\\.${OCTET}){3}$`);

/**
 * The host name of a Host header, lower case, without its port or a final dot; `[...]` for an
 * IPv6 address; null when the header is not a host name (or host:port) at all.
 */
export function hostName(header: string): string | null {
  const value = header.trim().toLowerCase();
  const v6 = /^(\[[0-9a-f:.%]+\])(?::\d{1,5})?$/.exec(value);
  if (v6) return v6[1] as string;
  const named = /^([a-z0-9_.-]+?)\.?(?::\d{1,5})?$/.exec(value);
  return named ? (named[1] as string) : null;
}

/**
 * An allowed host as the user gave it: a name (`preview.example.com`), or a name with a leading
 * dot for it and every name under it (`.example.com`). Returns the reason it is not one, or null.
 */
export function allowedHostProblem(entry: string): string | null {
  const name = entry.startsWith('.') ? entry.slice(1) : entry;
  if (!/^[a-z0-9_-]+(\.[a-z0-9_-]+)*$/i.test(name)) return 'expected a host name such as preview.example.com, or .example.com for it and every name under it (no scheme, port or path)';
  return null;
}

/**
 * True when a request with this Host header may be answered. No Host header (HTTP/1.0) is not a
 * browser's request and is answered.
 */
export function hostAllowed(header: string | undefined, allowed: readonly string[] = []): boolean {
  if (header === undefined || header === '') return true;
  const name = hostName(header);
  if (name === null) return false;
  if (name.startsWith('[') || IPV4.test(name)) return true;
  if (name === 'localhost' || name.endsWith('.localhost')) return true;
  return allowed.some((entry) => {
    const e = entry.toLowerCase();
    return e.startsWith('.') ? name === e.slice(1) || name.endsWith(e) : name === e;
  });
}
