/**
 * SVG to PNG with resvg (the Rust renderer, as WebAssembly), and the DejaVu Sans font shipped
 * with it, so the picture looks the same on a laptop and in Lambda (which has no system fonts).
 * The module, its 2.5 MB of WebAssembly and the font are loaded on the first PNG only: a cold
 * start that draws none pays nothing. In a Lambda they sit beside the bundle (function-bundle.ts).
 */
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';

/** Files the rasteriser reads at run time; the function bundle ships exactly these beside itself. */
export const RASTER_FILES = {
  wasm: '@resvg/resvg-wasm/index_bg.wasm',
  fonts: ['dejavu-fonts-ttf/ttf/DejaVuSans.ttf', 'dejavu-fonts-ttf/ttf/DejaVuSans-Bold.ttf'],
} as const;

type ResvgModule = typeof import('@resvg/resvg-wasm');
let loaded: Promise<{ resvg: ResvgModule; fonts: Uint8Array[] }> | undefined;

function load() {
  loaded ??= (async () => {
    const require = createRequire(import.meta.url);
    const resvg = await import('@resvg/resvg-wasm');
    await resvg.initWasm(await readFile(require.resolve(RASTER_FILES.wasm)));
    const fonts = await Promise.all(RASTER_FILES.fonts.map(async (f) => new Uint8Array(await readFile(require.resolve(f)))));
    return { resvg, fonts };
  })();
  // A failed load is tried again on the next picture rather than remembered.
  loaded.catch(() => (loaded = undefined));
  return loaded;
}

/**
 * The PNG of an SVG at its own size, or scaled down to `maxWidth` pixels wide (`svgWidth` is the
 * width the SVG declares: a picture of thousands of nodes would otherwise need gigabytes of pixels).
 */
export async function svgToPng(svg: string, svgWidth: number, maxWidth = 4096): Promise<{ png: Uint8Array; width: number; height: number }> {
  const { resvg, fonts } = await load();
  const renderer = new resvg.Resvg(svg, {
    font: { fontBuffers: fonts, defaultFontFamily: 'DejaVu Sans', sansSerifFamily: 'DejaVu Sans' },
    fitTo: svgWidth > maxWidth ? { mode: 'width', value: maxWidth } : { mode: 'original' },
    background: '#ffffff',
  });
  try {
    const image = renderer.render();
    const answer = { png: image.asPng(), width: image.width, height: image.height };
    image.free();
    return answer;
  } finally {
    renderer.free();
  }
}
