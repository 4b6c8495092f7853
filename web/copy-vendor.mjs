// Copy the dashboard's vendor files (and their licences) into the Python package.
// Run with `npm ci && npm run vendor` from web/; the output is committed.
import { copyFileSync, mkdirSync } from "node:fs";

const out = "../src/routewatch/web/static/vendor";
mkdirSync(out, { recursive: true });
const files = [
  ["node_modules/echarts/dist/echarts.min.js", "echarts.min.js"],
  ["node_modules/echarts/LICENSE", "echarts.LICENSE"],
  ["node_modules/echarts/NOTICE", "echarts.NOTICE"],
  ["node_modules/topojson-client/dist/topojson-client.min.js", "topojson-client.min.js"],
  ["node_modules/topojson-client/LICENSE", "topojson-client.LICENSE"],
  ["node_modules/world-atlas/countries-110m.json", "countries-110m.json"],
  ["node_modules/world-atlas/LICENSE", "world-atlas.LICENSE"],
];
for (const [from, to] of files) {
  copyFileSync(from, `${out}/${to}`);
  console.log(`${from} -> ${out}/${to}`);
}
