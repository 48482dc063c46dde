import { run } from './main.js'

await run()
// A request given up at its time limit can hold a connection open: the run is over, so the process ends soon after.
setTimeout(() => process.exit(), 10_000).unref()
