/** Image references as they appear after `FROM` or `COPY --from=`, split the way the engine resolves them. */

export interface ImageRef {
  /** The text as written (after ARG substitution). */
  raw: string
  /** Registry host with port, or `docker.io` when none is named. */
  registry: string
  /** Repository path without registry; Docker Hub official images are `library/<name>`. */
  repository: string
  tag?: string
  digest?: string
}

const DOCKER_HUB_HOSTS = new Set(['docker.io', 'index.docker.io', 'registry-1.docker.io'])

/** Returns undefined when the text is not a syntactically valid reference (e.g. still holds an unresolved `$VAR`). */
export function parseImageRef(raw: string): ImageRef | undefined {
  const text = raw.trim()
  if (!text || /[\s$]/.test(text)) return undefined
  let rest = text
  let digest: string | undefined
  const at = rest.indexOf('@')
  if (at >= 0) {
    digest = rest.slice(at + 1)
    rest = rest.slice(0, at)
    if (!/^[a-z0-9]+(?:[+._-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$/.test(digest)) return undefined
  }
  let tag: string | undefined
  const lastSlash = rest.lastIndexOf('/')
  const lastColon = rest.lastIndexOf(':')
  if (lastColon > lastSlash) {
    tag = rest.slice(lastColon + 1)
    rest = rest.slice(0, lastColon)
    if (!/^[\w][\w.-]{0,127}$/.test(tag)) return undefined
  }
  const parts = rest.split('/')
  let registry = 'docker.io'
  if (parts.length > 1 && (parts[0].includes('.') || parts[0].includes(':') || parts[0] === 'localhost')) {
    registry = parts.shift()!.toLowerCase()
  }
  if (DOCKER_HUB_HOSTS.has(registry)) registry = 'docker.io'
  if (parts.length === 0 || parts.some((p) => !/^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/.test(p))) return undefined
  if (registry === 'docker.io' && parts.length === 1) parts.unshift('library')
  return { raw: text, registry, repository: parts.join('/'), tag, digest }
}

export function isDockerHub(ref: ImageRef): boolean {
  return ref.registry === 'docker.io'
}

/** The official-image name (`python`) when the reference is a Docker Hub official image, else undefined. */
export function officialImageName(ref: ImageRef): string | undefined {
  if (!isDockerHub(ref)) return undefined
  const match = /^library\/([^/]+)$/.exec(ref.repository)
  return match?.[1]
}

/** Short human form: `python:3.12`, `ghcr.io/org/app:1`, without the implied `docker.io/library/`. */
export function displayName(ref: ImageRef): string {
  const official = officialImageName(ref)
  const name = official ?? (isDockerHub(ref) ? ref.repository : `${ref.registry}/${ref.repository}`)
  return name + (ref.tag ? `:${ref.tag}` : '') + (ref.digest ? `@${ref.digest}` : '')
}
