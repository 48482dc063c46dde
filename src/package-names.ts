/** Package names as Python's packaging compares them (PEP 503), which conda's names also follow. */
export function normalizedPackageName(name: string): string {
  return name.toLowerCase().replace(/[-_.]+/g, '-')
}
