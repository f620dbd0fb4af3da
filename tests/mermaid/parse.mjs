// Parse each Mermaid file named on the command line with Mermaid's own parser (a DOM from jsdom, which Mermaid's
// sanitiser needs); print one line per file it rejects, and exit 1 if any.
import fs from 'fs';
import { JSDOM } from 'jsdom';

const dom = new JSDOM('<!doctype html><html><body></body></html>');
globalThis.window = dom.window;
globalThis.document = dom.window.document;
const { default: mermaid } = await import('mermaid');

let failed = 0;
for (const file of process.argv.slice(2)) {
  try {
    await mermaid.parse(fs.readFileSync(file, 'utf8'));
  } catch (error) {
    console.error(file + ': ' + error.message.split('\n').join(' '));
    failed = 1;
  }
}
process.exit(failed);
