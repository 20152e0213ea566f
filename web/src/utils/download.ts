// Hands a downloaded file (e.g. a CSV export fetched with the access token) to the browser as a save; a report's CSV export.
import { download } from '@/api/client';

export function saveBlob(blob: Blob, filename: string): void {
  const url = URL.createObjectURL(blob);
  const link = document.createElement('a');
  link.href = url;
  link.download = filename;
  link.rel = 'noopener';
  link.style.display = 'none';
  document.body.appendChild(link);
  link.click();
  link.remove();
  // Revoked on the next turn: some browsers start the download only after the click handler returns.
  setTimeout(() => URL.revokeObjectURL(url), 0);
}

/**
 * A report's CSV export: the server's CSV endpoint asked with exactly the query of the figures on screen (not the
 * filter boxes, which may have been edited since), saved under the server's file name or the fallback.
 */
export async function downloadCsv(path: string, query: object, fallbackName: string): Promise<void> {
  const file = await download(path, query, 'text/csv');
  saveBlob(file.blob, file.filename ?? fallbackName);
}
