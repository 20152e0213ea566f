// Security headers on every response: a Content-Security-Policy the built Vue app runs under, no MIME sniffing,
// no framing, no referrer leaking share and verification tokens to other sites, HSTS behind HTTPS, and the request id.
import fp from 'fastify-plugin';

/**
 * The Vue bundle is loaded from /assets as module scripts (no inline script, no eval in the production build);
 * Element Plus sets inline style attributes, hence 'unsafe-inline' for styles only. Images may be data: or blob:
 * URLs (QR codes, previews of uploads); PDFs are downloaded, never framed.
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data: blob:",
  "font-src 'self' data:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

const FIXED: Record<string, string> = {
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  // Share links (/shared/<token>) and verification codes are in URLs: never send them to another origin.
  'referrer-policy': 'same-origin',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
  'permissions-policy': 'camera=(), microphone=(), geolocation=(), payment=()',
};

export default fp(
  async (app) => {
    const https = app.config.publicUrl.startsWith('https://');
    app.addHook('onSend', async (request, reply, payload) => {
      for (const [k, v] of Object.entries(FIXED)) if (!reply.hasHeader(k)) reply.header(k, v);
      reply.header('x-request-id', request.id);
      // The API docs UI (swagger-ui) brings its own policy; everything else gets the portal's.
      if (!reply.hasHeader('content-security-policy')) reply.header('content-security-policy', CONTENT_SECURITY_POLICY);
      if (https) reply.header('strict-transport-security', 'max-age=31536000; includeSubDomains');
      return payload;
    });
  },
  { name: 'security-headers' },
);
