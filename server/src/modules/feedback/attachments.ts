// Feedback attachments on disk: the type by content (magic bytes), the uploader's name made safe for display and
// download, and files under DATA_DIR/feedback-attachments with generated names (outside the web root).
import { randomBytes, createHash } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { readFile, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { AttachmentType } from '../../../../shared/api/feedback.js';

/** What each accepted type starts with; anything else (HTML, executables, archives, SVG...) is refused. */
export function detectType(data: Buffer): AttachmentType | null {
  const starts = (bytes: number[], at = 0) => data.length >= at + bytes.length && bytes.every((b, i) => data[at + i] === b);
  if (starts([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return 'image/png';
  if (starts([0xff, 0xd8, 0xff])) return 'image/jpeg';
  if (starts([0x47, 0x49, 0x46, 0x38]) && (data[4] === 0x37 || data[4] === 0x39) && data[5] === 0x61) return 'image/gif';
  if (starts([0x52, 0x49, 0x46, 0x46]) && starts([0x57, 0x45, 0x42, 0x50], 8)) return 'image/webp';
  if (starts([0x25, 0x50, 0x44, 0x46, 0x2d])) return 'application/pdf';
  return null;
}

/** File name extensions each type may carry; a name with another extension is refused as a disguise. */
export const EXTENSIONS: Record<AttachmentType, readonly string[]> = {
  'image/png': ['png'],
  'image/jpeg': ['jpg', 'jpeg', 'jpe', 'jfif'],
  'image/gif': ['gif'],
  'image/webp': ['webp'],
  'application/pdf': ['pdf'],
};

/**
 * The uploader's name reduced to something safe to show and to offer as a download name: the last path segment
 * only (both / and \), no control or reserved characters, no leading dots, at most 120 characters (Chinese kept).
 * It is never used on disk.
 */
export function sanitiseName(raw: string): string {
  const last = raw.split(/[\\/]/).pop() ?? '';
  const cleaned = last
    .normalize('NFC')
    .replace(/[\u0000-\u001f\u007f-\u009f<>:"|?*\u202a-\u202e\u2066-\u2069]/g, '')
    .replace(/\s+/g, ' ')
    .replace(/^[.\s]+/, '')
    .trim();
  return [...cleaned].slice(-120).join('');
}

export function extensionOf(name: string): string | null {
  const m = /\.([A-Za-z0-9]{1,8})$/.exec(name);
  return m ? m[1].toLowerCase() : null;
}

/** The display name with an extension that matches the content; null when the name claims another type. */
export function displayName(raw: string, type: AttachmentType): string | null {
  const name = sanitiseName(raw);
  const ext = extensionOf(name);
  if (ext === null) return `${name || 'attachment'}.${EXTENSIONS[type][0]}`;
  if (!EXTENSIONS[type].includes(ext)) return null;
  return name.length > ext.length + 1 ? name : `attachment.${ext}`;
}

/** Content-Disposition naming the file: an ASCII fallback and the UTF-8 name (RFC 6266 / RFC 5987). */
export function contentDisposition(name: string, inline = false): string {
  const ascii = name.replace(/[^\x20-\x7e]/g, '_').replace(/["\\;%]/g, '_');
  const encoded = encodeURIComponent(name).replace(/['()*]/g, (c) => '%' + c.charCodeAt(0).toString(16).toUpperCase());
  return `${inline ? 'inline' : 'attachment'}; filename="${ascii}"; filename*=UTF-8''${encoded}`;
}

/** The folder attachments live in: under the data directory, which the web plugin never serves. */
export function attachmentDir(dataDir: string): string {
  return path.join(dataDir, 'feedback-attachments');
}

const STORAGE_NAME = /^[0-9a-f]{32}$/;

function fileOf(dir: string, storageName: string): string {
  // Only names this module generated reach the filesystem.
  if (!STORAGE_NAME.test(storageName)) throw new Error('invalid attachment storage name');
  return path.join(dir, storageName.slice(0, 2), storageName);
}

/** Writes the bytes under a new random name (never overwriting) and returns the name and the content's hash. */
export async function storeFile(dir: string, data: Buffer): Promise<{ storageName: string; sha256: string }> {
  const storageName = randomBytes(16).toString('hex');
  const file = fileOf(dir, storageName);
  mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  await writeFile(file, data, { flag: 'wx', mode: 0o600 });
  return { storageName, sha256: createHash('sha256').update(data).digest('hex') };
}

export function readStoredFile(dir: string, storageName: string): Promise<Buffer> {
  return readFile(fileOf(dir, storageName));
}

/** Removes a file whose row was never committed; a file already gone is fine. */
export async function removeStoredFile(dir: string, storageName: string): Promise<void> {
  await unlink(fileOf(dir, storageName)).catch(() => undefined);
}
