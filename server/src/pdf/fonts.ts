// The Noto Sans SC TTFs embedded in every Chinese PDF, found through the font package and read once per thread.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

export interface PdfFonts {
  regular: Buffer;
  bold: Buffer;
}

// Resolved through the package rather than a path relative to this file, so server/src (tsx) and dist/ find the
// same node_modules. Static TTFs, not WOFF/WOFF2: CJK WOFF is reported at seconds per page in pdfkit (DESIGN.md §7).
function fontDir(): string {
  return path.dirname(createRequire(import.meta.url).resolve('@expo-google-fonts/noto-sans-sc/package.json'));
}

export function fontPaths(): { regular: string; bold: string } {
  const dir = fontDir();
  return {
    regular: path.join(dir, '400Regular', 'NotoSansSC_400Regular.ttf'),
    bold: path.join(dir, '700Bold', 'NotoSansSC_700Bold.ttf'),
  };
}

// Module state is per thread: each worker reads the two files (about 21 MB) once and keeps them.
let loaded: PdfFonts | undefined;

export function loadFonts(): PdfFonts {
  if (!loaded) {
    const paths = fontPaths();
    loaded = { regular: readFileSync(paths.regular), bold: readFileSync(paths.bold) };
  }
  return loaded;
}
