/**
 * Two runs on one engine at once, as two jobs of a self-hosted runner make them: each must remove only the images it
 * built. The engine calls are ordered so that the second run's builds finish before the first removes its images.
 */
import { describe, expect, it, jest } from '@jest/globals'
import type { Engine } from '../../src/engine/index.js'
import type { Report } from '../../src/types.js'
import { recordingLogger } from '../support/logger.js'
import { makeWorkspace, TEST_BASE } from '../support/workspace.js'

const FILES = {
  'Dockerfile.app': `FROM ${TEST_BASE}\nRUN dd if=/dev/zero of=/blob bs=1024 count=64\n`,
  'Dockerfile.tool': `FROM ${TEST_BASE}\nCOPY tool.sh /usr/local/bin/tool\n`,
  'tool.sh': 'echo tool\n'
}

/** A variant's images by repository (`slimcheck/app`), whatever tag a run gives them. */
const repositoryOf = (tag: string): string => tag.slice(0, tag.lastIndexOf(':'))

type Signal = { promise: Promise<void>; fire: () => void }

/** One signal per key, made on first use by whichever side comes first. */
function signals(): (key: string) => Signal {
  const all = new Map<string, Signal>()
  return (key) => {
    if (!all.has(key)) {
      let fire = (): void => undefined
      const promise = new Promise<void>((resolve) => (fire = resolve))
      all.set(key, { promise, fire })
    }
    return all.get(key)!
  }
}

interface Run {
  engine: Engine
  start: (engine: Engine) => Promise<Report>
}

/** A run is a process of its own: its own copy of every module, so its own run id. */
async function newRun(): Promise<Run> {
  jest.resetModules()
  const { parseSettings } = await import('../../src/config.js')
  const { createEngine } = await import('../../src/engine/index.js')
  const { runPipeline } = await import('../../src/pipeline.js')
  return {
    engine: createEngine(),
    start: (engine) =>
      runPipeline({
        settings: parseSettings({}, makeWorkspace(FILES)),
        engine,
        logger: recordingLogger(),
        version: 'test',
        runs: 1
      })
  }
}

describe('two runs on one engine at once', () => {
  it('each measures every variant: neither removes the images of the other', async () => {
    const first = await newRun()
    const second = await newRun()
    const secondBuilt = signals()
    const firstRemoved = signals()
    // The first run measures a variant only once the second built it, then removes its images; the second measures
    // it only after that.
    const firstEngine: Engine = {
      ...first.engine,
      async inspectImage(imageId, store, tag) {
        await secondBuilt(repositoryOf(tag)).promise
        return first.engine.inspectImage(imageId, store, tag)
      },
      async removeImage(imageIdOrTag) {
        await first.engine.removeImage(imageIdOrTag)
        if (imageIdOrTag.startsWith('slimcheck/')) firstRemoved(repositoryOf(imageIdOrTag)).fire()
      }
    }
    const secondEngine: Engine = {
      ...second.engine,
      async build(request) {
        const outcome = await second.engine.build(request)
        secondBuilt(repositoryOf(request.tag)).fire()
        return outcome
      },
      async inspectImage(imageId, store, tag) {
        await firstRemoved(repositoryOf(tag)).promise
        return second.engine.inspectImage(imageId, store, tag)
      }
    }
    const reports = await Promise.all([first.start(firstEngine), second.start(secondEngine)])
    for (const report of reports) {
      expect(report.variants.map((variant) => [variant.name, variant.status, variant.failure?.message])).toEqual([
        ['app', 'built', undefined],
        ['tool', 'built', undefined]
      ])
    }
  })
})
