/** The part of negotiator 1.x (no types of its own) the preview server uses: content negotiation of Accept-Encoding. */
declare module 'negotiator' {
  class Negotiator {
    constructor(request: { headers: Record<string, string | string[] | undefined> });
    /** The best of `available` for the request's Accept-Encoding (q-values first, then `preferred`'s order), or undefined. */
    encoding(available: readonly string[], options?: { preferred?: readonly string[] }): string | undefined;
  }
  export default Negotiator;
}
