/** dockerode's modem, promised and typed: every engine call goes through here. */
import type Docker from 'dockerode'
import type DockerModem from 'docker-modem'

/**
 * One request; resolves with the parsed JSON answer, the response stream (`isStream`) or the upgraded socket
 * (`hijack`), as the caller knows it to be.
 */
export function dial<T>(docker: Docker, options: DockerModem.DialOptions): Promise<T> {
  return new Promise<T>((resolve, reject) =>
    docker.modem.dial(options, (error, result) => (error ? reject(error) : resolve(result as T)))
  )
}
