/**
 * What untrusted text (names and paths from a repository, build logs) may contain when slimcheck prints it, on a
 * terminal, in the Actions log or in Markdown: nothing that moves the cursor, changes colours or hides what follows.
 */

// eslint-disable-next-line no-control-regex -- terminal colour and cursor sequences in build logs
const ANSI_SEQUENCE = /\u001b\[[0-9;?]*[ -/]*[@-~]/g
// eslint-disable-next-line no-control-regex -- C0 but tab and line feed, DEL, C1
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g

/** Drops terminal escape sequences, ends lines at carriage returns too, and shows other control characters as `�`. */
export function printable(text: string): string {
  return text.replace(ANSI_SEQUENCE, '').replace(/\r\n?/g, '\n').replace(CONTROL, '\ufffd')
}
