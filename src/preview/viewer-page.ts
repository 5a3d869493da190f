/** The HTML shell of the viewer, served at `/`. Everything else is drawn by /_viewer/app.js. */
import { escapeHtml } from '../io/html.ts';

/** The viewer's URL prefix: CDN keys start with plans/, units/ or lessons/, so it never collides with one. */
export const VIEWER_PREFIX = '_viewer';

/**
 * The page may load its script, style and JSON from the preview server only: content from the
 * CDN files (video URLs, image paths) is shown as text or plain links, never fetched.
 */
export const VIEWER_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "connect-src 'self'",
  "img-src 'self' data:",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

/** The `<meta>` that tells the viewer `dev` offers live events: its name, read by viewer/live.ts. */
export const LIVE_META = 'memora-live';

export interface ViewerPageOptions {
  /** In `dev`: its session and the build out/ holds as the page is served; the viewer then subscribes to /_viewer/events. */
  live?: { session: string; build: number };
}

export function renderViewerPage(options: ViewerPageOptions = {}): string {
  const { live: state } = options;
  const live = state === undefined ? '' : `<meta name="${LIVE_META}" content="/${VIEWER_PREFIX}/events" data-session="${escapeHtml(state.session)}" data-build="${Math.floor(state.build)}">\n`;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Memora CDN preview</title>
<link rel="icon" href="data:,">
${live}<link rel="stylesheet" href="/${VIEWER_PREFIX}/style.css">
<script type="module" src="/${VIEWER_PREFIX}/app.js"></script>
</head>
<body>
<div id="app" data-testid="viewer"><p class="boot">Loading the viewer…</p></div>
<noscript><p>The viewer needs JavaScript. <a href="/${VIEWER_PREFIX}/plans">The plain list of plans</a> works without it.</p></noscript>
</body>
</html>
`;
}
