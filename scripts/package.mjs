// Bundles the action (dist/index.js) and the CLI (dist/cli/index.js) with ncc.
// ncc emits ESM for this "type": "module" package, but ssh2 (a dockerode dependency, loaded at start-up)
// carries emscripten code that reads the CommonJS `__dirname`; the bundle gets it defined from import.meta.url.
// ncc also copies dockerode's .proto files next to each bundle; slimcheck never loads them (see the README).
import { execFileSync } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'

const ENTRIES = [
  { source: 'src/index.ts', out: 'dist' },
  { source: 'src/bin.ts', out: 'dist/cli' }
]
const DIRNAME_SHIM =
  "import { dirname as __slimcheckDirname } from 'node:path';\n" +
  "import { fileURLToPath as __slimcheckFileURLToPath } from 'node:url';\n" +
  'const __dirname = __slimcheckDirname(__slimcheckFileURLToPath(import.meta.url));\n'

fs.rmSync('dist', { recursive: true, force: true })
for (const entry of ENTRIES) {
  execFileSync('npx', ['ncc', 'build', entry.source, '-o', entry.out, '--license', 'licenses.txt', '--quiet'], {
    stdio: 'inherit'
  })
  const bundle = path.join(entry.out, 'index.js')
  fs.writeFileSync(bundle, DIRNAME_SHIM + fs.readFileSync(bundle, 'utf8'))
}
