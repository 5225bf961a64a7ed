// Bundles src/ into dist/: wallet-chat.js (widget + socket.io-client, one file)
// and wallet-chat.css. Run with `npm run build` (scripts/web.sh does it).
import { build } from "esbuild";
import { rmSync } from "node:fs";

const outdir = new URL("./dist/", import.meta.url).pathname;
rmSync(outdir, { recursive: true, force: true });

const common = {
  bundle: true,
  minify: true,
  sourcemap: true,
  target: "es2020",
  legalComments: "linked",
  logLevel: "warning",
};

await build({
  ...common,
  entryPoints: { "wallet-chat": "src/widget.js" },
  format: "iife",
  outdir,
});
await build({ ...common, entryPoints: { "wallet-chat": "src/widget.css" }, outdir });
console.log(`Widget built into ${outdir}`);
