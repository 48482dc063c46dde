/**
 * Realistic pull requests as report pairs, for the renderer tests and the README's screenshots: the demo (examples/ on
 * a main and a PR branch where multistage gains curl, conda failing on both sides without Docker Hub) and a large
 * case of 11 variants that grow, shrink, come, go and fail.
 */
import type { CommentContext } from '../../src/report/comment.js'
import { compareReports } from '../../src/compare/index.js'
import { parseFailOn, parseLimit, parseSizeBudgets, type Policy } from '../../src/config.js'
import type {
  BaselineInfo,
  BuildStep,
  Comparison,
  Finding,
  ImageContents,
  ImagePackage,
  Layer,
  Report,
  VariantReport
} from '../../src/types.js'
import { build, finding, image, policy, report } from './reports.js'

export interface Scenario {
  name: string
  head: Report
  base: Report
  comparison: Comparison
  context: CommentContext
}

const BASE_SHA = '3f9c2a71d0b84e5f9a6c1d2e3b4a5f6c7d8e9f01'
const HEAD_SHA = '8e1d4c0b9a7f6e5d4c3b2a19f8e7d6c5b4a39281'
const DEBIAN = 74_812_349

function layer(sizeBytes: number, line?: number, text?: string): Layer {
  return {
    sizeBytes,
    createdBy: text ? `RUN /bin/sh -c ${text}` : 'ADD file:4f6a5a9fb3b7ee8c in /',
    ...(line && text ? { instruction: { line, text } } : {})
  }
}

function step(name: string, seconds: number, line?: number): BuildStep {
  return { name, seconds, cached: false, ...(line ? { line } : {}) }
}

function built(
  name: string,
  dockerfile: string,
  layers: Layer[],
  seconds: number,
  options: {
    findings?: Finding[]
    steps?: BuildStep[]
    samples?: number[]
    compressed?: number
    reused?: VariantReport['reused']
    contents?: ImageContents
  } = {}
): VariantReport {
  const size = layers.reduce((sum, item) => sum + item.sizeBytes, 0)
  return {
    name,
    dockerfile,
    context: '.',
    buildArgNames: [],
    status: 'built',
    image: image(size, layers, {
      id: `sha256:${name.length.toString(16).padStart(2, '0')}${'7c'.repeat(31)}`,
      ...(options.compressed ? { compressedBytes: options.compressed } : {}),
      ...(options.contents ? { contents: options.contents } : {})
    }),
    build: build(options.samples ?? [seconds], options.steps ? { steps: options.steps } : {}),
    findings: options.findings ?? [],
    fingerprint: { digest: `sha256:${name.length.toString(16).padStart(2, '0')}${'a1'.repeat(31)}` },
    ...(options.reused ? { reused: options.reused } : {})
  }
}

function failed(
  name: string,
  dockerfile: string,
  message: string,
  logTail: string[],
  findings: Finding[] = [],
  step?: string
) {
  const variant: VariantReport = {
    name,
    dockerfile,
    context: '.',
    buildArgNames: [],
    status: 'failed',
    findings,
    failure: { message, logTail, kind: 'build', ...(step ? { step } : {}) }
  }
  return variant
}

const RUNTIME_INSTALL = (packages: string): string =>
  `RUN apt-get update  && apt-get install -y --no-install-recommends ${packages}  && rm -rf /var/lib/apt/lists/*`

const CONDA_FINDINGS: Finding[] = [
  finding({
    file: 'Dockerfile.conda',
    line: 6,
    message:
      '`python:3.12` uses a shared tag: `3.12` is a shared tag of the official `python` image. A shared tag is published for several OS variants and floats to new releases, so rebuilding the same commit can change the OS, the size and the libraries without a diff. Simple tags to use instead: `python:3.12-slim-trixie`, `python:3.12-slim-bookworm` or `python:3.12-trixie`.',
    fix: 'Pin a simple tag such as `python:3.12-slim-trixie`, `python:3.12-slim-bookworm` or `python:3.12-trixie`, and add its digest (`python:3.12-slim-trixie@sha256:…`) so rebuilds are reproducible.'
  }),
  finding({
    rule: 'conda-in-production',
    severity: 'error',
    file: 'Dockerfile.conda',
    line: 7,
    message:
      'COPY copies the conda prefix `/opt/conda` from stage `env` in unnamed stage 1, so conda ends up in the shipped image. A conda prefix brings conda, its package cache and activation scripts along, and its programs expect conda activation to set up their environment.',
    fix: 'Copy a packed environment instead of the prefix: build the environment in a builder stage, run `conda-pack -p <env> -o /tmp/env.tar.gz && mkdir /venv && tar -xzf /tmp/env.tar.gz -C /venv && /venv/bin/conda-unpack` there, and `COPY --from=<builder> /venv /venv` into a python:3.12-slim-bookworm runtime.'
  }),
  finding({
    rule: 'conda-in-production',
    severity: 'error',
    file: 'Dockerfile.conda',
    line: 8,
    message:
      "ENV puts a conda prefix on PATH (`PATH=/opt/conda/bin:$PATH`) in unnamed stage 1, so conda ends up in the shipped image. Every process then picks conda's python, openssl and friends before the system's, and conda's libraries leak into the loader path (LD_LIBRARY_PATH pollution).",
    fix: 'Put only the unpacked environment on PATH (`ENV PATH=/venv/bin:$PATH`) after copying a conda-packed env, or use a venv.'
  }),
  finding({
    rule: 'conda-in-production',
    severity: 'error',
    file: 'Dockerfile.conda',
    line: 11,
    message:
      "ENTRYPOINT starts through conda (`conda run -p /opt/conda/envs/app python service.py`) in unnamed stage 1, so conda ends up in the shipped image. `conda run` and `conda activate` need conda's shell hooks at runtime: they break under systemd, cron and non-interactive shells, wrap the process (signals, exit codes, buffered output) and pollute LD_LIBRARY_PATH.",
    fix: 'Call the environment\'s interpreter directly, e.g. `ENTRYPOINT ["/venv/bin/python", "-m", "app"]`, with the env copied from a conda-pack builder stage.'
  })
]

const CONDA_STEP = '[env] RUN conda create -y -p /opt/conda/envs/app python=3.12  && conda clean -afy'
const CONDA_FAILURE = {
  message:
    'process "/bin/sh -c conda create -y -p /opt/conda/envs/app python=3.12  && conda clean -afy" did not complete successfully: exit code: 1',
  logTail: [
    '#5 [env 2/2] RUN conda create -y -p /opt/conda/envs/app python=3.12  && conda clean -afy',
    '#5 1.9 Channels:',
    '#5 1.9  - defaults',
    '#5 2.4 PackagesNotFoundError: The following packages are not available from current channels:',
    '#5 2.4   - python=3.12',
    '#5 ERROR: process "/bin/sh -c conda create -y -p /opt/conda/envs/app python=3.12  && conda clean -afy" did not complete successfully: exit code: 1'
  ]
}

const DEBIAN_PACKAGES: ImagePackage[] = [
  { manager: 'dpkg', name: 'libc6', version: '2.36-9+deb12u10', bytes: 12_986_368 },
  { manager: 'dpkg', name: 'python3.11-minimal', version: '3.11.2-6+deb12u6', bytes: 6_830_080 },
  { manager: 'dpkg', name: 'libpython3.11-stdlib', version: '3.11.2-6+deb12u6', bytes: 8_646_656 }
]

/** What curl brings along on bookworm, with the installed sizes dpkg states. */
const CURL_PACKAGES: ImagePackage[] = [
  ['libcurl4', 950_272],
  ['curl', 510_976],
  ['libldap-2.5-0', 716_800],
  ['libssh2-1', 307_200],
  ['libnghttp2-14', 212_992],
  ['librtmp1', 155_648],
  ['libsasl2-2', 190_464],
  ['libpsl5', 94_208],
  ['libbrotli1', 798_720],
  ['libsasl2-modules-db', 67_584],
  ['libldap-common', 130_048]
].map(([name, bytes]) => ({
  manager: 'dpkg',
  name: name as string,
  version: '7.88.1-10+deb12u12',
  bytes: bytes as number
}))

function demoContents(curl: boolean): ImageContents {
  const run = { line: 11, keyword: 'RUN' }
  return {
    packages: [...DEBIAN_PACKAGES, ...(curl ? CURL_PACKAGES : [])],
    directories: [
      { path: '/usr/lib/x86_64-linux-gnu', bytes: curl ? 96_412_030 : 92_480_110, writer: run },
      { path: '/usr/lib/python3.11', bytes: 41_950_208, writer: run },
      { path: '/usr/share/doc', bytes: curl ? 4_870_112 : 4_402_020 },
      { path: '/usr/bin', bytes: curl ? 9_830_400 : 9_541_632, writer: run }
    ]
  }
}

const FULL_TOOLCHAIN = finding({
  rule: 'build-toolchain',
  file: 'Dockerfile.full',
  line: 3,
  bytes: 213_422_080,
  compressedBytes: 61_030_400,
  evidence: 'image',
  message:
    'Line 3 (RUN) installs a build toolchain that ships in the image, 31 build-only packages (`gcc-12` 70.3 MB, `cpp-12` 32.5 MB, `libgcc-12-dev` 26.1 MB, `binutils-x86-64-linux-gnu` 10.2 MB, `libpython3.11-dev` 21.3 MB, …): 213 MB (about 61.0 MB compressed) by their installed sizes.',
  fix: "Install and build in a builder stage, and copy only the build's output into the final stage: saves 213 MB."
})

function demoSide(curl: boolean): Report {
  const multistage = [
    layer(DEBIAN),
    layer(curl ? 181_240_137 : 175_930_000, 11, RUNTIME_INSTALL(curl ? 'python3 curl' : 'python3')),
    layer(0, 14, 'WORKDIR /opt/app'),
    layer(15_424, 15, 'COPY --from=builder /src/libfastpath.so .'),
    layer(1_912, 16, 'COPY app/service.py .')
  ]
  const steps = (install: number): BuildStep[] => [
    step('[internal] load build definition from Dockerfile.multistage', 0.1),
    step('[builder 2/5] RUN apt-get update  && apt-get install -y --no-install-recommends gcc libc6-dev', 24.8, 3),
    step('[builder 5/5] RUN gcc -O2 -shared -fPIC -o libfastpath.so fastpath.c', 0.4, 8),
    step(`[runtime 2/5] ${RUNTIME_INSTALL(curl ? 'python3 curl' : 'python3')}`, install, 11),
    step('exporting to image', 1.9)
  ]
  return {
    ...report([
      failed('conda', 'Dockerfile.conda', CONDA_FAILURE.message, CONDA_FAILURE.logTail, CONDA_FINDINGS, CONDA_STEP),
      built(
        'full',
        'Dockerfile.full',
        [
          layer(DEBIAN),
          layer(
            552_250_007,
            3,
            'RUN apt-get update  && apt-get install -y python3 python3-dev gcc libc6-dev  && rm -rf /var/lib/apt/lists/*'
          ),
          layer(0, 6, 'WORKDIR /opt/app'),
          layer(3_112, 7, 'COPY app/ .'),
          layer(15_912, 8, 'RUN gcc -O2 -shared -fPIC -o libfastpath.so fastpath.c')
        ],
        71.4,
        { reused: curl ? { kind: 'shared' } : undefined, findings: [FULL_TOOLCHAIN] }
      ),
      built('multistage', 'Dockerfile.multistage', multistage, curl ? 47.9 : 43.6, {
        steps: steps(curl ? 21.9 : 18.2),
        contents: demoContents(curl)
      }),
      built(
        'slim',
        'Dockerfile.slim',
        [
          layer(DEBIAN),
          layer(175_931_049, 3, RUNTIME_INSTALL('python3')),
          layer(0, 6, 'WORKDIR /opt/app'),
          layer(1_912, 7, 'COPY app/service.py .')
        ],
        19.2,
        { reused: curl ? { kind: 'shared' } : undefined }
      )
    ]),
    commit: curl ? HEAD_SHA : BASE_SHA,
    engine: { version: '28.5.2', store: 'overlay2', os: 'linux', arch: 'x86_64' }
  }
}

const BUILD_BASELINE: BaselineInfo = { source: 'build', commit: BASE_SHA }

function scenario(name: string, base: Report, head: Report, limits: Policy, key: string): Scenario {
  return {
    name,
    base,
    head,
    comparison: compareReports(base, head, BUILD_BASELINE, limits),
    context: {
      key,
      baseLabel: 'main',
      blobBase: `https://github.com/octo/shop/blob/${HEAD_SHA}`,
      summaryUrl: 'https://github.com/octo/shop/actions/runs/4242'
    }
  }
}

/** `npm run demo`: multistage gains curl; conda cannot build on either side, and its findings were on main already. */
export function demoScenario(): Scenario {
  return scenario(
    'demo',
    demoSide(false),
    demoSide(true),
    policy({ failOn: parseFailOn('conda-in-production'), sizeNoise: parseLimit('size-noise-threshold', '10kB') }),
    'cli'
  )
}

const MB = 1_000_000

function service(
  name: string,
  megabytes: number,
  options: Parameters<typeof built>[4] = {},
  seconds = 30
): VariantReport {
  const app = Math.round(megabytes * MB) - DEBIAN
  return built(
    name,
    `services/${name}/Dockerfile`,
    [
      layer(DEBIAN),
      layer(app - 4_096, 4, `RUN pip install --no-cache-dir -r requirements/${name}.txt`),
      layer(4_096, 7, 'COPY src/ /app/')
    ],
    seconds,
    options
  )
}

/** Eleven variants: grown, shrunk, within noise, built once, carried, added, removed, failed, and one adding conda. */
export function largeScenario(): Scenario {
  const carried = { kind: 'carried' as const, commit: BASE_SHA, runId: 4100 }
  const condaOnMain = finding({
    rule: 'conda-in-production',
    severity: 'error',
    file: 'services/ml-gpu/Dockerfile',
    line: 1,
    message:
      'FROM `continuumio/miniconda3:24.7.1-0` is a conda-based image in the production stage, so conda ends up in the shipped image.',
    fix: 'Build the environment in a builder stage and ship a slim runtime.'
  })
  const apiSteps = (install: number): BuildStep[] => [
    step('[2/3] RUN pip install --no-cache-dir -r requirements/api-server.txt', install, 4),
    step('[3/3] COPY src/ /app/', 0.2, 7)
  ]
  const base = report([
    service('api-server', 200, { steps: apiSteps(21.0), samples: [33.1, 34.0, 34.6] }),
    service('worker_v2', 430),
    service('web', 151.2),
    service('batch', 310.4),
    service('docs', 88.1),
    service('ml-gpu', 1480, { findings: [condaOnMain] }, 240),
    service('legacy', 512.3),
    service('broken', 120),
    service('tools', 96.5),
    service('edge', 64.44),
    service('cli', 80.2)
  ])
  const head = report([
    service('api-server', 212.04, { steps: apiSteps(29.4), samples: [41.8, 42.5, 43.9] }),
    service('worker_v2', 399.7),
    service('web', 151.2),
    service('batch', 310.4, { reused: { kind: 'shared' } }),
    service('docs', 88.1, { reused: carried }),
    service('ml-gpu', 1509.6, { findings: [condaOnMain] }, 251),
    service('new-svc', 45.3),
    failed(
      'broken',
      'services/broken/Dockerfile',
      'process "/bin/sh -c pip install --no-cache-dir -r requirements/broken.txt" did not complete successfully: exit code: 1',
      [
        '#7 [2/3] RUN pip install --no-cache-dir -r requirements/broken.txt',
        '#7 1.2 Looking in indexes: https://registry-1.docker.io/v2/library/pypi-mirror/simple',
        '#7 2.9 Collecting acme-client@1.2.3 (from -r requirements/broken.txt (line 4))',
        '#7 3.1 pulling base@sha256:4f6a5a9fb3b7ee8c1d2e3f4a5b6c7d8e9f0a1b2c3d4e5f6a7b8c9d0e1f2a3b4c',
        '#7 3.4 ERROR: Could not find a version that satisfies the requirement acme-client==9.9 (from versions: 1.2.3)',
        '#7 3.4 ERROR: No matching distribution found for acme-client==9.9',
        '#7 ERROR: process "/bin/sh -c pip install --no-cache-dir -r requirements/broken.txt" did not complete successfully: exit code: 1'
      ]
    ),
    service('tools', 391.7, {
      findings: [
        finding({
          rule: 'conda-in-production',
          severity: 'error',
          file: 'services/tools/Dockerfile',
          line: 2,
          message:
            'RUN installs conda (`curl -fsSL https://repo.anaconda.com/miniconda/Miniconda3-latest-Linux-x86_64.sh | bash`) in the production stage, so conda ends up in the shipped image.',
          fix: 'Install into a builder stage and copy a conda-packed environment.'
        })
      ]
    }),
    service('edge', 64.4421),
    service('cli', 80.5)
  ])
  return scenario(
    'large',
    base,
    head,
    policy({
      failOn: parseFailOn('conda-in-production'),
      sizeNoise: parseLimit('size-noise-threshold', '10kB'),
      maxSizeIncrease: parseLimit('max-size-increase', '5%'),
      maxSize: parseSizeBudgets('ml-gpu=2GB')
    }),
    'slimcheck/images'
  )
}

export const SCENARIOS = [demoScenario, largeScenario]
