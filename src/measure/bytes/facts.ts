/** What the byte rules find in an image's layers, before any threshold: stored with the measurement. */
import type { ByteFact, ByteRuleId, FactInstruction, ImageContents } from '../../types.js'
import { pathGroups, type PathGroup } from './caches.js'
import { contentsOf } from './contents.js'
import type { LayerFiles } from './layer-files.js'
import { instructionKey } from './layer-identity.js'
import { commonDirOf, replayLayers, type ImageFiles, type Removal, type Replay } from './replay.js'
import { installedInImage, isToolchainPackage, type InstalledPackage } from './toolchain.js'

/** Facts kept per rule, largest first: thresholds are applied later, and the report stays small. */
const FACTS_PER_RULE = 20
/** Toolchain packages named per fact, largest first. */
const PACKAGES_NAMED = 8

/** The byte facts, the contents and the final filesystem of an image, from one replay of its layers. */
export function imageBytesOf(layers: LayerFiles[]): {
  byteFacts: ByteFact[]
  contents: ImageContents
  files: ImageFiles
} {
  const replay = replayLayers(layers)
  const installed = installedInImage(layers)
  return {
    byteFacts: byteFactsOf(layers, replay, installed),
    contents: contentsOf(layers, replay, installed),
    files: replay
  }
}

function byteFactsOf(layers: LayerFiles[], replay: Replay, installed: InstalledPackage[]): ByteFact[] {
  const writer = (layer: number): { writer?: FactInstruction } => {
    const instruction = layers[layer]?.instruction
    return instruction ? { writer: instruction } : {}
  }
  const compressed = (layer: number, bytes: number): number => bytes * (layers[layer]?.compressionRatio ?? 1)
  const facts: ByteFact[] = [
    ...pathFacts(pathGroups(replay.kept, replay.has), writer, compressed),
    ...deadBytes(replay.removals, layers, compressed),
    ...toolchain(
      installed.filter((item) => isToolchainPackage(item.name)),
      compressed,
      writer
    )
  ]
  return keepLargest(facts)
}

/** The groups of each kind and directory, merged per writing line: the base image's layers make one writer. */
function pathFacts(
  groups: PathGroup[],
  writer: (layer: number) => { writer?: FactInstruction },
  compressed: (layer: number, bytes: number) => number
): ByteFact[] {
  const facts = new Map<string, ByteFact & { estimate: number }>()
  for (const group of groups) {
    const by = writer(group.layer)
    const key = [group.kind, group.path, instructionKey(by.writer)].join('\u0000')
    const fact = facts.get(key) ?? {
      rule: group.rule,
      kind: group.kind,
      path: `/${group.path}`,
      ...by,
      bytes: 0,
      compressedBytes: 0,
      estimate: 0
    }
    fact.bytes += group.bytes
    fact.estimate += compressed(group.layer, group.bytes)
    facts.set(key, fact)
  }
  return [...facts.values()].map(({ estimate, ...fact }) => ({ ...fact, compressedBytes: Math.round(estimate) }))
}

/**
 * Bytes a Dockerfile line hid, per writing and hiding line; what the base hid in its own layers is the base's. Files a
 * RUN rewrote at the same size (a `chown` or `chmod`) are a metadata rewrite, the rest dead bytes.
 */
function deadBytes(
  removals: Removal[],
  layers: LayerFiles[],
  compressed: (layer: number, bytes: number) => number
): ByteFact[] {
  const groups = new Map<string, Removal & { estimate: number; rewriteEstimate: number }>()
  for (const removal of removals) {
    const remover = layers[removal.remover].instruction
    if (!remover) continue
    const rewritten = remover.keyword === 'RUN' ? removal.rewrittenBytes : 0
    const overwritten = removal.overwrittenBytes + removal.rewrittenBytes - rewritten
    const dead = removal.deletedBytes + overwritten
    const key = `${instructionKey(layers[removal.writer].instruction)}>${instructionKey(remover)}`
    const group = groups.get(key) ?? {
      ...removal,
      deletedBytes: 0,
      overwrittenBytes: 0,
      rewrittenBytes: 0,
      estimate: 0,
      rewriteEstimate: 0
    }
    group.deletedBytes += removal.deletedBytes
    group.overwrittenBytes += overwritten
    group.rewrittenBytes += rewritten
    group.commonDir = commonDirOf(group.commonDir, removal.commonDir)
    group.estimate += compressed(removal.writer, dead)
    group.rewriteEstimate += compressed(removal.writer, rewritten)
    groups.set(key, group)
  }
  return [...groups.values()].flatMap((group): ByteFact[] => {
    const writer = layers[group.writer].instruction
    const common = {
      kind: 'files',
      ...(group.commonDir ? { path: `/${group.commonDir}` } : {}),
      ...(writer ? { writer } : {}),
      remover: layers[group.remover].instruction
    }
    const dead: ByteFact = {
      rule: 'dead-bytes',
      ...common,
      removal: !group.overwrittenBytes ? 'deleted' : !group.deletedBytes ? 'overwritten' : 'deleted or overwritten',
      bytes: group.deletedBytes + group.overwrittenBytes,
      compressedBytes: Math.round(group.estimate)
    }
    const rewrite: ByteFact = {
      rule: 'metadata-rewrite',
      ...common,
      removal: 'overwritten',
      bytes: group.rewrittenBytes,
      compressedBytes: Math.round(group.rewriteEstimate)
    }
    return [dead, rewrite].filter((fact) => fact.bytes > 0)
  })
}

function toolchain(
  packages: InstalledPackage[],
  compressed: (layer: number, bytes: number) => number,
  writer: (layer: number) => { writer?: FactInstruction }
): ByteFact[] {
  const byWriter = new Map<string, InstalledPackage[]>()
  for (const item of packages) {
    const key = instructionKey(writer(item.layer).writer)
    byWriter.set(key, [...(byWriter.get(key) ?? []), item])
  }
  return [...byWriter.values()].map((items) => {
    const largest = [...items].sort((a, b) => b.bytes - a.bytes || a.name.localeCompare(b.name))
    return {
      rule: 'build-toolchain',
      kind: 'toolchain',
      ...writer(items[0].layer),
      bytes: items.reduce((sum, item) => sum + item.bytes, 0),
      compressedBytes: Math.round(items.reduce((sum, item) => sum + compressed(item.layer, item.bytes), 0)),
      packages: largest.slice(0, PACKAGES_NAMED).map(({ name, bytes }) => ({ name, bytes })),
      packageCount: items.length
    }
  })
}

function keepLargest(facts: ByteFact[]): ByteFact[] {
  const byRule = new Map<ByteRuleId, ByteFact[]>()
  for (const fact of facts) byRule.set(fact.rule, [...(byRule.get(fact.rule) ?? []), fact])
  return [...byRule.values()].flatMap((items) => items.sort((a, b) => b.bytes - a.bytes).slice(0, FACTS_PER_RULE))
}
