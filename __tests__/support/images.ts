import { expect } from '@jest/globals'
import type { Engine } from '../../src/engine/index.js'
import { buildContext, packContext } from '../../src/measure/context.js'
import { makeWorkspace } from './workspace.js'

/** An image built from `dockerfile` outside slimcheck's pipeline and tagged `tag`, as any tool would leave one. */
export async function buildTestImage(engine: Engine, tag: string, dockerfile: string): Promise<void> {
  const context = buildContext(makeWorkspace({ Dockerfile: dockerfile }), 'Dockerfile')
  const outcome = await engine.build({
    context: () => packContext(context.entries),
    dockerfile: 'Dockerfile',
    tag,
    buildArgs: {},
    secrets: {},
    noCache: false,
    timeoutSeconds: 120,
    onLog: () => undefined
  })
  expect(outcome.ok).toBe(true)
}
