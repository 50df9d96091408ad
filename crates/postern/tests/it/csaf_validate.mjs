// Validates CSAF 2.0 documents with an independent implementation of the standard's tests: the
// BSI's csaf-validator-lib (npm: @secvisogram/csaf-validator-lib), through `validateStrict`.
//
//   node csaf_validate.mjs LIBRARY_DIR DOCUMENTS_DIR
//
// Every *.json of DOCUMENTS_DIR runs the strict schema test, the mandatory (6.1), optional
// (6.2) and informative (6.3) tests, except 6.3.6 and 6.3.7, which fetch every reference over
// the network (6.3.8 spell-checks where hunspell is installed). One JSON line per document: {"file", "findings": [{set, test, kind, message, path}]}.
// A test that throws is a finding of kind "exception".
import { readFileSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'

const [library, documents] = process.argv.slice(2)
const load = (module) => import(pathToFileURL(join(library, module)).href)
const validateStrict = (await load('validateStrict.js')).default
const schema = await load('schemaTests.js')
const mandatory = await load('mandatoryTests.js')
const optional = await load('optionalTests.js')
const informative = await load('informativeTests.js')

const sets = {
  mandatory: [schema.csaf_2_0_strict, ...Object.values(mandatory)],
  optional: Object.values(optional),
  informative: Object.entries(informative)
    .filter(([name]) => !['informativeTest_6_3_6', 'informativeTest_6_3_7'].includes(name))
    .map(([, test]) => test),
}

const files = readdirSync(documents)
  .filter((f) => f.endsWith('.json'))
  .sort()
for (const file of files) {
  const doc = JSON.parse(readFileSync(join(documents, file), 'utf8'))
  const findings = []
  for (const [set, tests] of Object.entries(sets)) {
    for (const test of tests) {
      let result
      try {
        result = await validateStrict([test], doc)
      } catch (e) {
        findings.push({ set, test: test.name, kind: 'exception', message: String(e), path: '' })
        continue
      }
      for (const t of result.tests) {
        for (const kind of ['errors', 'warnings', 'infos']) {
          for (const f of t[kind]) {
            findings.push({ set, test: t.name, kind, message: f.message, path: f.instancePath })
          }
        }
        if (!t.isValid && t.errors.length === 0) {
          findings.push({ set, test: t.name, kind: 'errors', message: 'not valid', path: '' })
        }
      }
    }
  }
  console.log(JSON.stringify({ file, findings }))
}
