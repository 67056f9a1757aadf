import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { svgToPng } from '#shared/adapters/raster/svg-to-png.ts';
import { SAMPLE_PNG, SAMPLE_SVG, sampleSvg } from '#test/support/topology-sample.ts';

const size = (png: Uint8Array) => {
  const b = Buffer.from(png);
  expect(b.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
  expect(b.subarray(12, 16).toString('latin1')).toBe('IHDR');
  return [b.readUInt32BE(16), b.readUInt32BE(20)];
};

describe('svgToPng', () => {
  it('draws the SVG at the size it states, with text (the bundled font), the same bytes every time', async () => {
    const svg = '<svg xmlns="http://www.w3.org/2000/svg" width="300" height="80"><text x="10" y="40" font-size="20">Pod web</text></svg>';
    const blank = '<svg xmlns="http://www.w3.org/2000/svg" width="300" height="80"></svg>';
    const first = await svgToPng(svg, 300);
    expect(size(first.png)).toEqual([300, 80]);
    expect(first).toMatchObject({ width: 300, height: 80 });
    // Text drew something: without a font the picture would be as blank as the empty one.
    expect(Buffer.from(first.png).equals(Buffer.from((await svgToPng(blank, 300)).png))).toBe(false);
    expect(Buffer.from((await svgToPng(svg, 300)).png).equals(Buffer.from(first.png))).toBe(true);
  });

  it('scales a picture wider than the limit down to it', async () => {
    const wide = '<svg xmlns="http://www.w3.org/2000/svg" width="4000" height="100"><rect width="4000" height="100" fill="#dbeafe"/></svg>';
    expect(size((await svgToPng(wide, 4000, 1000)).png)).toEqual([1000, 25]);
  });
});

describe('the sample picture in docs/', () => {
  it('is what the sources draw of the fixture application, and its PNG is that SVG rasterised', async () => {
    const svg = sampleSvg();
    expect(readFileSync(SAMPLE_SVG, 'utf8'), 'run npx tsx test/support/topology-sample.ts').toBe(svg);
    const committed = readFileSync(SAMPLE_PNG);
    expect(size(committed)).toEqual([Number(/ width="(\d+)"/.exec(svg)![1]), Number(/ height="(\d+)"/.exec(svg)![1])]);
  });
});
