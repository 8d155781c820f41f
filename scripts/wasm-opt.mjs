// Optimises WASM files for size in one process: `node scripts/wasm-opt.mjs BINARYEN_DIR IN OUT
// [IN OUT]…`. binaryen's default optimisation passes at optimise level 2 and shrink level 2, as
// `wasm-opt -Oz` runs them, with the features that command gives the console's WASM; the code
// comes out within a few bytes in a thousand of the command's. binaryen's npm package is binaryen
// compiled to WebAssembly, and its command-line tool compiles that anew on every start (about a
// second and a half of CPU): for the console's twenty parts, 41 s of CPU instead of 13.
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";

const [dir, ...files] = process.argv.slice(2);
if (!dir || files.length === 0 || files.length % 2) {
  console.error("usage: node wasm-opt.mjs BINARYEN_DIR IN.wasm OUT.wasm [IN.wasm OUT.wasm]…");
  process.exit(2);
}
const { default: binaryen } = await import(pathToFileURL(join(dir, "index.js")).href);
const F = binaryen.Features;
const features =
  F.MutableGlobals | F.NontrappingFPToInt | F.BulkMemory | F.SignExt | F.ReferenceTypes |
  F.Multivalue | F.BulkMemoryOpt | F.CallIndirectOverlong;
binaryen.setOptimizeLevel(2);
binaryen.setShrinkLevel(2);
for (let i = 0; i < files.length; i += 2) {
  const module = binaryen.readBinary(readFileSync(files[i]));
  module.setFeatures(features);
  if (!module.validate()) {
    console.error(`wasm-opt.mjs: ${files[i]} is not valid WebAssembly`);
    process.exit(1);
  }
  module.optimize();
  writeFileSync(files[i + 1], module.emitBinary());
  module.dispose();
}
