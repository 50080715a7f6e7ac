// Copy the pinned front-end libraries from node_modules into static/vendor/ (git-ignored).
// Run by `npm ci && npm run build`; the pages still work, without them, as plain HTML forms.
import { copyFileSync, mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, "..", "..");
const out = join(here, "static", "vendor");

const files = [
  ["htmx.org/dist/htmx.min.js", "htmx.min.js"],
  ["htmx.org/LICENSE", "htmx.LICENSE.txt"],
  ["echarts/dist/echarts.min.js", "echarts.min.js"],
  ["echarts/LICENSE", "echarts.LICENSE.txt"],
  ["echarts/NOTICE", "echarts.NOTICE.txt"],
];

mkdirSync(out, { recursive: true });
// Keep the built files out of git even where the top-level .gitignore does not list them.
writeFileSync(join(out, ".gitignore"), "*\n");
for (const [from, to] of files) {
  copyFileSync(join(root, "node_modules", from), join(out, to));
  console.log(`vendor: ${from} -> pqrisk/web/static/vendor/${to}`);
}
