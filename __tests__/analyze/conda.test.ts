import { describe, expect, it } from '@jest/globals'
import { parseDockerfile, productionStage } from '../../src/analyze/dockerfile.js'
import { parseImageRef } from '../../src/analyze/image-ref.js'
import { condaFindings, isCondaImage, matchAllowedImage } from '../../src/analyze/rules/conda.js'
import type { Finding } from '../../src/types.js'

function lines(...text: string[]): string {
  return text.join('\n') + '\n'
}

interface Options {
  target?: string
  allowedCondaImages?: string[]
  buildArgs?: Record<string, string>
}

function check(text: string, options: Options = {}): Finding[] {
  const model = parseDockerfile(text, { buildArgs: options.buildArgs, target: options.target })
  return condaFindings(model, productionStage(model, options.target), {
    file: 'Dockerfile',
    allowedCondaImages: options.allowedCondaImages
  })
}

function verdicts(text: string, options: Options = {}): string[] {
  return check(text, options).map((finding) => `${finding.severity}@${finding.line}`)
}

const PACKED_RUNTIME = lines(
  'FROM continuumio/miniconda3:24.7.1-0 AS build',
  'COPY environment.yml .',
  'RUN conda env create -p /opt/env -f environment.yml && conda install -y -c conda-forge conda-pack',
  'RUN conda-pack -p /opt/env -o /tmp/env.tar.gz && mkdir /venv && tar -xzf /tmp/env.tar.gz -C /venv && /venv/bin/conda-unpack',
  'FROM debian:bookworm-slim',
  'COPY --from=build /venv /venv',
  'ENV PATH=/venv/bin:$PATH',
  'ENTRYPOINT ["/venv/bin/python", "-m", "app"]'
)

describe('conda-in-production', () => {
  it.each<[string, string, Options, string[]]>([
    ['a conda base image', lines('FROM continuumio/miniconda3:24.7.1-0', 'CMD ["python"]'), {}, ['error@1']],
    ['micromamba on another registry', lines('FROM ghcr.io/mamba-org/micromamba:1.5-bookworm-slim'), {}, ['error@1']],
    ['a slim Python base', lines('FROM python:3.12-slim-bookworm', 'RUN pip install numpy'), {}, []],
    ['an ARG-built conda base', lines('ARG BASE=condaforge/miniforge3:24.3.0-0', 'FROM ${BASE}'), {}, ['error@2']],
    [
      'a build-arg replacing the conda base',
      lines('ARG BASE=condaforge/miniforge3:24.3.0-0', 'FROM ${BASE}'),
      { buildArgs: { BASE: 'python:3.12-slim-bookworm' } },
      []
    ],
    ['an unresolved base', lines('ARG BASE', 'FROM ${BASE}'), {}, []],
    [
      'a conda stage the runtime builds on',
      lines(
        'FROM continuumio/miniconda3 AS base',
        'RUN conda install -y numpy',
        'FROM base AS runtime',
        'CMD ["python"]'
      ),
      {},
      ['error@1', 'error@2']
    ],
    [
      'a conda stage named in another case',
      lines('FROM mambaorg/micromamba:1.5 AS builder', 'FROM Builder', 'CMD ["python"]'),
      {},
      ['error@1']
    ],
    ['conda packed in a builder, copied into a slim runtime', PACKED_RUNTIME, {}, ['info@1']],
    ['the builder as target', PACKED_RUNTIME, { target: 'build' }, ['error@1', 'error@3']],
    ['conda in an unused stage', lines('FROM continuumio/miniconda3 AS old', 'FROM python:3.12-slim-bookworm'), {}, []],
    [
      'a Miniconda installer',
      lines(
        'FROM debian:bookworm-slim',
        'RUN curl -fsSLo /tmp/m.sh https://repo.anaconda.com/miniconda/Miniconda3-latest-Linux-x86_64.sh \\',
        ' && bash /tmp/m.sh -b -p /opt/conda'
      ),
      {},
      ['error@2']
    ],
    [
      'bash Miniconda3*.sh',
      lines(
        'FROM debian:bookworm-slim',
        'COPY Miniconda3-py312_24.7.1-0-Linux-x86_64.sh /tmp/',
        'RUN bash /tmp/Miniconda3-py312_24.7.1-0-Linux-x86_64.sh -b'
      ),
      {},
      ['error@3']
    ],
    [
      'an installer fetched with ADD',
      lines(
        'FROM debian:bookworm-slim',
        'ADD https://github.com/conda-forge/miniforge/releases/latest/download/Miniforge3-Linux-x86_64.sh /tmp/'
      ),
      {},
      ['error@2']
    ],
    [
      'micromamba install script',
      lines('FROM debian:bookworm-slim', 'RUN curl -L micro.mamba.pm/install.sh | bash'),
      {},
      ['error@2']
    ],
    [
      'pip install conda',
      lines('FROM python:3.12-slim-bookworm', 'RUN python -m pip install --no-cache-dir conda==24.7.1'),
      {},
      ['error@2']
    ],
    [
      'pip install conda-pack is not conda',
      lines('FROM python:3.12-slim-bookworm', 'RUN pip install conda-pack'),
      {},
      []
    ],
    [
      'conda after &&',
      lines('FROM debian:bookworm-slim', 'RUN apt-get update && conda install -y numpy'),
      {},
      ['error@2']
    ],
    [
      'several conda commands in one RUN give one finding',
      lines('FROM debian:bookworm-slim', 'RUN conda install -y numpy; mamba clean -afy || micromamba info'),
      {},
      ['error@2']
    ],
    ['conda by path', lines('FROM debian:bookworm-slim', 'RUN /opt/conda/bin/conda clean -afy'), {}, ['error@2']],
    ['conda after then', lines('FROM debian:bookworm-slim', 'RUN if true; then conda info; fi'), {}, ['error@2']],
    [
      'conda in command substitution inside quotes',
      lines('FROM debian:bookworm-slim', 'RUN eval "$(micromamba shell hook -s bash)"'),
      {},
      ['error@2']
    ],
    [
      'source activate',
      lines('FROM debian:bookworm-slim', 'RUN . /opt/conda/etc/profile.d/conda.sh && python -V'),
      {},
      ['error@2']
    ],
    [
      'conda inside an echo string',
      lines('FROM python:3.12-slim-bookworm', 'RUN echo "no conda here" && printf \'%s\\n\' conda'),
      {},
      []
    ],
    [
      'conda in a comment',
      lines('FROM python:3.12-slim-bookworm', 'RUN pip install numpy # instead of conda install numpy'),
      {},
      []
    ],
    [
      'conda in a comment line of a continuation',
      lines('FROM python:3.12-slim-bookworm', 'RUN pip install numpy \\', '# conda install numpy', ' && pip check'),
      {},
      []
    ],
    [
      'conda looked up, not run',
      lines('FROM python:3.12-slim-bookworm', 'RUN command -v conda || which mamba || true'),
      {},
      []
    ],
    [
      'conda as an argument',
      lines('FROM python:3.12-slim-bookworm', 'RUN useradd conda && mkdir -p /home/conda'),
      {},
      []
    ],
    [
      'a heredoc fed to cat',
      lines('FROM python:3.12-slim-bookworm', 'RUN cat > /usr/local/bin/setup <<EOF', 'conda activate app', 'EOF'),
      {},
      []
    ],
    [
      'a COPY heredoc',
      lines('FROM python:3.12-slim-bookworm', 'COPY <<EOF /etc/profile.d/env.sh', 'conda activate app', 'EOF'),
      {},
      []
    ],
    [
      'a heredoc RUN script',
      lines('FROM debian:bookworm-slim', 'RUN <<EOF', 'set -e', 'conda install -y numpy', 'EOF'),
      {},
      ['error@2']
    ],
    [
      'a heredoc fed to bash',
      lines(
        'FROM debian:bookworm-slim',
        'RUN --mount=type=cache,target=/opt/conda/pkgs <<-"EOF" bash -e',
        '\tmamba install -y numpy',
        '\tEOF'
      ),
      {},
      ['error@2']
    ],
    [
      'a heredoc fed to python',
      lines(
        'FROM python:3.12-slim-bookworm',
        'RUN python3 <<EOF',
        'import subprocess; subprocess.run(["conda", "info"])',
        'EOF'
      ),
      {},
      []
    ],
    [
      'a python shebang heredoc',
      lines('FROM python:3.12-slim-bookworm', 'RUN <<EOF', '#!/usr/bin/env python3', 'print("conda")', 'EOF'),
      {},
      []
    ],
    [
      'exec-form RUN',
      lines('FROM debian:bookworm-slim', 'RUN ["/bin/bash", "-c", "conda install -y numpy"]'),
      {},
      ['error@2']
    ],
    [
      'ENTRYPOINT conda run',
      lines(
        'FROM python:3.12-slim-bookworm',
        'ENTRYPOINT ["conda", "run", "--no-capture-output", "-n", "app", "python", "-m", "app"]'
      ),
      {},
      ['error@2']
    ],
    [
      'CMD source activate',
      lines('FROM python:3.12-slim-bookworm', 'CMD ["/bin/bash", "-c", "source activate app && python -m app"]'),
      {},
      ['error@2']
    ],
    [
      'SHELL micromamba run',
      lines('FROM python:3.12-slim-bookworm', 'SHELL ["micromamba", "run", "-n", "base", "/bin/bash", "-c"]'),
      {},
      ['error@2']
    ],
    [
      'ENV PATH with /opt/conda/bin',
      lines('FROM python:3.12-slim-bookworm', 'ENV PATH=/opt/conda/bin:$PATH'),
      {},
      ['error@2']
    ],
    [
      'ENV PATH with $CONDA_DIR/bin',
      lines('FROM python:3.12-slim-bookworm', 'ENV CONDA_DIR=/opt/miniforge3 PATH=$CONDA_DIR/bin:$PATH'),
      {},
      ['error@2']
    ],
    ['ENV PATH with a venv', lines('FROM python:3.12-slim-bookworm', 'ENV PATH=/venv/bin:$PATH'), {}, []],
    [
      'COPY --from=builder /opt/conda',
      lines(
        'FROM continuumio/miniconda3 AS builder',
        'RUN conda install -y numpy',
        'FROM debian:bookworm-slim',
        'COPY --from=builder /opt/conda /opt/conda'
      ),
      {},
      ['error@4']
    ],
    [
      'COPY of an env inside the prefix',
      lines(
        'FROM continuumio/miniconda3 AS builder',
        'FROM debian:bookworm-slim',
        'COPY --from=builder /opt/conda/envs/app /opt/app'
      ),
      {},
      ['error@3']
    ],
    [
      'COPY of the micromamba binary from an image',
      lines('FROM debian:bookworm-slim', 'COPY --from=mambaorg/micromamba:1.5 /bin/micromamba /usr/local/bin/'),
      {},
      ['error@2']
    ],
    [
      'COPY of a quoted prefix',
      lines(
        'FROM continuumio/miniconda3 AS c',
        'FROM debian:bookworm-slim',
        'COPY --from=c "/opt/conda" "/opt/conda"',
        "COPY --from=c '/opt/conda/envs/app' /opt/app"
      ),
      {},
      ['error@3', 'error@4']
    ],
    [
      'COPY of an escaped prefix',
      lines('FROM continuumio/miniconda3 AS c', 'FROM debian:bookworm-slim', 'COPY --from=c /opt/con\\da /opt/conda'),
      {},
      ['error@3']
    ],
    [
      'COPY of the micromamba binary through a quoted $MAMBA_EXE',
      lines(
        'FROM mambaorg/micromamba:1.5 AS env',
        'FROM debian:bookworm-slim',
        'ENV MAMBA_EXE="/bin/micromamba"',
        'COPY --from=env "$MAMBA_EXE" "$MAMBA_EXE"',
        'COPY --from=env "${MAMBA_EXE}" /usr/local/bin/micromamba'
      ),
      {},
      ['error@4', 'error@5']
    ],
    [
      'exec-form COPY of a prefix',
      lines(
        'FROM continuumio/miniconda3 AS c',
        'FROM debian:bookworm-slim',
        'COPY --from=c ["/opt/conda", "/opt/conda"]'
      ),
      {},
      ['error@3']
    ],
    [
      'COPY of a Windows prefix under # escape=`',
      lines(
        '# escape=`',
        'FROM continuumio/miniconda3 AS c',
        'FROM mcr.microsoft.com/windows/servercore:ltsc2022',
        'COPY --from=c "C:\\Miniconda3" "C:\\Miniconda3"',
        'COPY --from=c C:\\tools\\con`da C:\\tools'
      ),
      {},
      ['error@4', 'error@5']
    ],
    [
      'COPY into a conda-named destination',
      lines('FROM python:3.12-slim-bookworm AS c', 'FROM debian:bookworm-slim', 'COPY --from=c "/venv" "/opt/conda"'),
      {},
      []
    ],
    [
      'COPY --from=builder /venv',
      lines('FROM condaforge/miniforge3 AS builder', 'FROM debian:bookworm-slim', 'COPY --from=builder /venv /venv'),
      {},
      ['info@1']
    ],
    [
      'pytorch/pytorch is accepted',
      lines(
        'FROM pytorch/pytorch:2.4.0-cuda12.1-cudnn9-runtime',
        'RUN conda install -y numpy',
        'ENV PATH=/opt/conda/bin:$PATH'
      ),
      {},
      ['info@1']
    ],
    [
      'docker.io/pytorch/pytorch through a stage chain',
      lines('FROM docker.io/pytorch/pytorch AS base', 'FROM base', 'RUN conda install -y numpy'),
      {},
      ['info@1']
    ],
    [
      'an allow-list without pytorch',
      lines('FROM pytorch/pytorch:2.4.0-cuda12.1-cudnn9-runtime'),
      { allowedCondaImages: [] },
      ['error@1']
    ],
    [
      'an allow-list entry for another image',
      lines('FROM continuumio/miniconda3:24.7.1-0', 'RUN conda install -y numpy'),
      { allowedCondaImages: ['continuumio/miniconda3'] },
      ['info@1']
    ],
    [
      'an allowed image with no conda in sight',
      lines('FROM python:3.12-slim-bookworm'),
      { allowedCondaImages: ['python'] },
      []
    ]
  ])('%s', (_title, text, options, expected) => {
    expect(verdicts(text, options)).toEqual(expected)
  })

  it('says what was found, why it matters and how to fix it', () => {
    const [finding] = check(
      lines('FROM python:3.12-slim-bookworm AS app', 'ENTRYPOINT ["conda", "run", "-n", "app", "python"]')
    )
    expect(finding).toMatchObject({
      rule: 'conda-in-production',
      severity: 'error',
      file: 'Dockerfile',
      line: 2,
      evidence: 'static'
    })
    expect(finding.message).toContain('`conda run -n app python`')
    expect(finding.message).toContain('stage `app`')
    expect(finding.message).toMatch(/systemd/)
    expect(finding.fix).toContain('/venv/bin/python')
  })

  it('reports one finding per instruction, whatever it matched', () => {
    const findings = check(
      lines(
        'FROM debian:bookworm-slim',
        'RUN curl -fsSLO https://repo.anaconda.com/miniconda/Miniconda3-latest-Linux-x86_64.sh && conda install -y numpy && mamba clean -afy'
      )
    )
    expect(findings).toHaveLength(1)
    expect(findings[0].message).toContain(
      'fetches or runs the conda installer (`repo.anaconda.com`) and runs `conda install -y numpy` (and 1 more)'
    )
  })

  it('names a copied prefix without its quotes', () => {
    const [finding] = check(
      lines(
        'FROM mambaorg/micromamba:1.5 AS env',
        'FROM debian:bookworm-slim',
        'COPY --from=env "$MAMBA_EXE" "$MAMBA_EXE"'
      )
    )
    expect(finding.message).toContain('copies the conda prefix `$MAMBA_EXE` from stage `env`')
  })

  it('names the whole chain when the conda stage is an ancestor', () => {
    const [finding] = check(lines('FROM continuumio/miniconda3 AS base', 'FROM base AS runtime'))
    expect(finding.message).toContain('`continuumio/miniconda3`')
    expect(finding.message).toContain('stage `base`, which stage `runtime` builds on')
    expect(finding.fix).toContain('conda-pack')
  })

  it('reports the builder without blaming the runtime', () => {
    const [finding] = check(PACKED_RUNTIME)
    expect(finding.message).toContain('builder stage `build`')
    expect(finding.message).toContain('built by unnamed stage 1')
  })

  it('mentions the accepted allow-list entry', () => {
    const [finding] = check(lines('FROM pytorch/pytorch:2.4.0-cuda12.1-cudnn9-runtime'))
    expect(finding.message).toContain('`pytorch/pytorch` in allowedCondaImages')
  })
})

describe('isCondaImage', () => {
  it.each([
    ['continuumio/miniconda3:24.7.1-0', true],
    ['continuumio/anaconda3', true],
    ['condaforge/miniforge3', true],
    ['condaforge/mambaforge:23.11.0-0', true],
    ['mambaorg/micromamba:1.5', true],
    ['ghcr.io/mamba-org/micromamba', true],
    ['quay.io/jupyter/scipy-notebook', true],
    ['pytorch/pytorch:latest', true],
    ['python:3.12', false],
    ['nvcr.io/nvidia/pytorch:24.05-py3', false],
    ['ghcr.io/example/conda-tools-docs', false]
  ])('%s → %p', (raw, expected) => {
    expect(isCondaImage(parseImageRef(raw)!)).toBe(expected)
  })
})

describe('matchAllowedImage', () => {
  it.each<[string, string[], string | undefined]>([
    ['pytorch/pytorch:2.4.0-cuda12.1-cudnn9-runtime', ['pytorch/pytorch'], 'pytorch/pytorch'],
    ['docker.io/pytorch/pytorch', ['pytorch/pytorch'], 'pytorch/pytorch'],
    ['pytorch/pytorch:2.4.0', ['docker.io/pytorch/pytorch:2.4.0'], 'docker.io/pytorch/pytorch:2.4.0'],
    ['pytorch/pytorch:2.3.0', ['pytorch/pytorch:2.4.0'], undefined],
    ['ghcr.io/pytorch/pytorch', ['pytorch/pytorch'], undefined],
    ['nvcr.io/nvidia/pytorch:24.05-py3', ['nvcr.io/nvidia/pytorch*'], 'nvcr.io/nvidia/pytorch*'],
    ['pytorch/pytorch:2.4.0-cuda12.1', ['pytorch/pytorch:2.4*'], 'pytorch/pytorch:2.4*'],
    ['pytorch/pytorch:2.3.0', ['pytorch/pytorch:2.4*'], undefined],
    ['continuumio/miniconda3', ['continuumio/*'], 'continuumio/*']
  ])('%s with %p', (raw, allowed, expected) => {
    expect(matchAllowedImage(parseImageRef(raw)!, allowed)).toBe(expected)
  })
})
