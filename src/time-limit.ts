/**
 * `work`, or a failure naming `what` once `seconds` have passed, for a wait nothing else bounds. The work cannot be
 * stopped: the action's entry point ends the process soon after the run, whatever connection is still open.
 */
export function withinSeconds<T>(seconds: number, work: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const limit = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not finish within ${seconds} s`)), seconds * 1000)
  })
  return Promise.race([work, limit]).finally(() => clearTimeout(timer))
}
