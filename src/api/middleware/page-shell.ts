import { type RequestHandler, Router } from 'express';

/** A static file a server-rendered page loads, served from our own origin (no CDN). */
export type PageAsset = { file: string; type: string };

/** htmx and Pico CSS from their npm packages: what every server-rendered page here loads. */
export const PAGE_LIBRARY_ASSETS: Record<string, PageAsset> = {
  'htmx.min.js': { file: require.resolve('htmx.org/dist/htmx.min.js'), type: 'text/javascript' },
  'pico.min.css': { file: require.resolve('@picocss/pico/css/pico.min.css'), type: 'text/css' },
};

/**
 * Headers every server-rendered page sends: never cached (pages show private state), never framed,
 * never sniffed, and the page's own script/form/referrer policy.
 */
export function pageSecurityHeaders(policy: { contentSecurityPolicy: string; referrerPolicy: string }): RequestHandler {
  return (_req, res, next) => {
    res.set({
      'Cache-Control': 'no-store',
      'Content-Security-Policy': policy.contentSecurityPolicy,
      'X-Frame-Options': 'DENY',
      'Referrer-Policy': policy.referrerPolicy,
      'X-Content-Type-Options': 'nosniff',
    });
    next();
  };
}

/** `GET /assets/:name` for the named files only; anything else is a 404. Assets are public and cacheable. */
export function pageAssets(assets: Record<string, PageAsset>): Router {
  const router = Router();
  router.get('/assets/:name', (req, res) => {
    const asset = assets[req.params.name];
    if (!asset) return void res.status(404).end();
    res.set('Cache-Control', 'public, max-age=86400').type(asset.type).sendFile(asset.file);
  });
  return router;
}
