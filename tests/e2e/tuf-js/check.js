// Refreshes a TUF repository with tuf-js and downloads one target; exit 1
// with the error's name and message if anything fails to verify.
// usage: node check.js METADATA_DIR ROOT.json METADATA_URL TARGETS_URL TARGET OUT_DIR
'use strict';
const fs = require('fs');
const path = require('path');
const { Updater } = require('tuf-js');

async function main() {
  const [mdir, root, murl, turl, target, outdir] = process.argv.slice(2);
  fs.mkdirSync(mdir, { recursive: true });
  fs.mkdirSync(outdir, { recursive: true });
  if (!fs.existsSync(path.join(mdir, 'root.json')))
    fs.copyFileSync(root, path.join(mdir, 'root.json'));
  const u = new Updater({ metadataDir: mdir, metadataBaseUrl: murl, targetDir: outdir, targetBaseUrl: turl });
  await u.refresh();
  const info = await u.getTargetInfo(target);
  if (!info) throw new Error(`target ${target} not found`);
  const file = await u.downloadTarget(info, path.join(outdir, path.basename(target)));
  console.log(`tuf-js: downloaded ${target} to ${file} (${info.length} bytes)`);
}

main().catch((e) => {
  console.error(`tuf-js: ${e.name}: ${e.message}`);
  process.exit(1);
});
