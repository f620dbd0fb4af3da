// Typeset every formula of a JSON file ([{"tex": ..., "display": true}, ...]) with one engine, as a browser would
// with that engine's default settings: katex (KaTeX, maxExpand 1000), mathjax3 (MathJax 3's TeX input with every
// package a page autoloads, undefined macros an error, up to the compiled MathML where TeX errors arise), mathjax2
// (MathJax 2.7's TeX input through mathjax-node, to MathML, its 5 KB buffer included). Prints one line per
// formula the engine rejects and exits 1 if any.
import fs from 'fs';
import { createRequire } from 'module';

const require = createRequire(import.meta.url);
const [engine, file] = process.argv.slice(2);
const formulas = JSON.parse(fs.readFileSync(file, 'utf8'));

async function katexErrors() {
  const katex = require('katex');
  return formulas.map((f) => {
    try {
      katex.renderToString(f.tex, { displayMode: f.display, throwOnError: true });
      return null;
    } catch (error) {
      return error.message;
    }
  });
}

async function mathjax3Errors() {
  const { mathjax } = require('mathjax-full/js/mathjax.js');
  const { TeX } = require('mathjax-full/js/input/tex.js');
  const { SVG } = require('mathjax-full/js/output/svg.js');
  const { liteAdaptor } = require('mathjax-full/js/adaptors/liteAdaptor.js');
  const { RegisterHTMLHandler } = require('mathjax-full/js/handlers/html.js');
  const { AllPackages } = require('mathjax-full/js/input/tex/AllPackages.js');
  const adaptor = liteAdaptor();
  RegisterHTMLHandler(adaptor);
  const packages = AllPackages.filter((p) => p !== 'noundefined' && p !== 'noerrors');
  const tex = new TeX({ packages, formatError: (jax, error) => { throw error; } });
  const { STATE } = require('mathjax-full/js/core/MathItem.js');
  const doc = mathjax.document('', { InputJax: tex, OutputJax: new SVG({ fontCache: 'none' }) });
  return formulas.map((f) => {
    try {
      doc.convert(f.tex, { display: f.display, end: STATE.COMPILED });  // parsed and compiled: where TeX errors arise
      return null;
    } catch (error) {
      return error.message;
    }
  });
}

async function mathjax2Errors() {
  const mj = require('mathjax-node');
  mj.config({ MathJax: { TeX: { extensions: ['AMSmath.js', 'AMSsymbols.js', 'noErrors.js', 'noUndefined.js'] } } });
  mj.start();
  const found = [];
  for (const f of formulas) {
    const data = await mj.typeset({ math: f.tex, format: f.display ? 'TeX' : 'inline-TeX', mml: true })
      .catch((errors) => ({ errors }));
    const failed = data.errors || /merror/.test(data.mml || '');
    found.push(failed ? String(data.errors || 'an error marker in the output') : null);
  }
  return found;
}

const run = { katex: katexErrors, mathjax3: mathjax3Errors, mathjax2: mathjax2Errors }[engine];
const errors = await run();
let failed = 0;
errors.forEach((message, i) => {
  if (message) {
    failed += 1;
    console.log(`${engine}: formula ${i} (${formulas[i].tex.length} characters): ${message.split('\n')[0]}`);
  }
});
console.log(`${engine}: ${formulas.length - failed} of ${formulas.length} typeset`);
process.exit(failed ? 1 : 0);
