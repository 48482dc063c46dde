/**
 * Layers named without a Dockerfile (`inspect`): by their number and the instruction their history entry records.
 * BuildKit writes `RUN /bin/sh -c make # buildkit`, `RUN |1 A=b /bin/sh -c make # buildkit`, `COPY . /app # buildkit`,
 * `WORKDIR /app`; the classic builder and buildah `/bin/sh -c make`, `|1 A=b /bin/sh -c make` and
 * `/bin/sh -c #(nop) COPY file:… in /app `; kaniko `RUN make`. Other tools write anything, or nothing.
 */
import type { FactInstruction } from '../../types.js'

const KEYWORDS = new Set([
  'ADD',
  'ARG',
  'CMD',
  'COPY',
  'ENTRYPOINT',
  'ENV',
  'EXPOSE',
  'HEALTHCHECK',
  'LABEL',
  'MAINTAINER',
  'ONBUILD',
  'RUN',
  'SHELL',
  'STOPSIGNAL',
  'USER',
  'VOLUME',
  'WORKDIR'
])

/** `|2 A=1 B=2 `: the build-args a RUN saw, before its command. */
const BUILD_ARGS = /^\|\d+ /
/** A POSIX shell's `-c` with the options before it: `/bin/sh -c `, `/bin/bash -o pipefail -c `, `sh -ec `. */
const SHELL = /(?:\S*\/)?(?:ba|da|z|k|a)?sh(?: -o \S+| -[a-bd-z]+)* -[a-z]*c /
const SHELL_FIRST = new RegExp(`^${SHELL.source}`)
/** After build-args, whose values may hold spaces (`|2 A=1 B=x y /bin/sh -c …`): the first shell is the command's. */
const SHELL_AFTER_ARGS = new RegExp(`(?:^| )(${SHELL.source})`)
const NOP = /^#\(nop\) ([A-Z]+)\b ?/

/** The Dockerfile keyword and instruction a history entry records: `{ keyword: 'RUN', text: 'RUN make' }`. */
export function historyInstruction(createdBy: string): { keyword: string; text: string } {
  let text = createdBy
    .replace(/\s+/g, ' ')
    .trim()
    .replace(/ # buildkit$/, '')
  const leading = /^([A-Z]+)\b ?/.exec(text)
  const keyword = leading && KEYWORDS.has(leading[1]) ? leading[1] : ''
  if (keyword) text = text.slice(leading![0].length)
  if (keyword && keyword !== 'RUN') return instruction(keyword, text)
  const args = BUILD_ARGS.exec(text)
  const command = args ? text.slice(args[0].length) : text
  const shell = args ? SHELL_AFTER_ARGS.exec(command) : SHELL_FIRST.exec(command)
  if (shell) {
    const script = command.slice(shell.index + shell[0].length)
    const nop = NOP.exec(script)
    return nop && KEYWORDS.has(nop[1]) ? instruction(nop[1], script.slice(nop[0].length)) : instruction('RUN', script)
  }
  // A RUN in exec form, or one whose shell is not a POSIX shell's `-c`: after its build-args, if any.
  if (args) return instruction('RUN', command.replace(/^(?:[^ =]+=\S* )*/, ''))
  return instruction(keyword, text)
}

function instruction(keyword: string, text: string): { keyword: string; text: string } {
  return { keyword, text: [keyword, text].filter(Boolean).join(' ') }
}

/** What a message quotes of a history entry: enough to find the layer in `docker history`. */
const TEXT_LENGTH = 60

/**
 * Layer `number` (from 1 at the bottom, counting the layers that hold content) named by its history entry. It has no
 * Dockerfile line; its text is shortened, the classic builder's content digests (`COPY file:<64 hex> in /app`) first,
 * and its backticks become quotes, so that it stays one code span in a message.
 */
export function layerIdentity(createdBy: string, number: number): FactInstruction {
  const { keyword, text } = historyInstruction(createdBy)
  const quoted = text.replace(/\b(file|dir|multi):([0-9a-f]{12})[0-9a-f]{52}\b/g, '$1:$2…').replace(/`/g, "'")
  const short = quoted.length > TEXT_LENGTH ? `${quoted.slice(0, TEXT_LENGTH - 1)}…` : quoted
  return { line: 0, keyword, layer: number, ...(short ? { text: short } : {}) }
}

/** What facts are merged by: the Dockerfile line (or, without one, the layer) that wrote or hid them, or the base. */
export function instructionKey(instruction: FactInstruction | undefined): string {
  if (!instruction) return 'base'
  return instruction.layer === undefined ? `line ${instruction.line}` : `layer ${instruction.layer}`
}
