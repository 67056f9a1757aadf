/**
 * Writes docs/topology-sample.svg and .png: the picture of the fixture application (issue 16) as a
 * cluster lists it once running, so a reader sees what the export looks like. Run after a change
 * to the layout or the styles: `npx tsx test/support/topology-sample.ts` (a unit test holds the
 * committed SVG to what the sources draw).
 */
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { svgToPng } from '#shared/adapters/raster/svg-to-png.ts';
import { buildGraph } from '#shared/domain/topology/build-graph.ts';
import { renderSvg } from '#shared/domain/topology/render-svg.ts';
import { fixtureNames } from './topology-fixture.ts';
import { observedFixture } from './topology-observed.ts';

export const SAMPLE_SVG = fileURLToPath(new URL('../../docs/topology-sample.svg', import.meta.url));
export const SAMPLE_PNG = fileURLToPath(new URL('../../docs/topology-sample.png', import.meta.url));

export const sampleSvg = () => renderSvg(buildGraph(observedFixture(fixtureNames('shop'))), 'Fixture application of issue 16 (namespace shop)');

if (import.meta.url === `file://${process.argv[1]}`) {
  const svg = sampleSvg();
  writeFileSync(SAMPLE_SVG, svg);
  const width = Number(/ width="(\d+)"/.exec(svg)![1]);
  writeFileSync(SAMPLE_PNG, (await svgToPng(svg, width)).png);
  console.error(`wrote ${SAMPLE_SVG} and ${SAMPLE_PNG}`);
}
