#!/usr/bin/env node
// validate.js DOC RESPONSES.jsonl: checks every response the integration tests received
// (one JSON line each: {method, path, status, type, body?}, written by t/lib/LaFete/Test.pm)
// against the OpenAPI 3.1 document DOC with Ajv's JSON Schema 2020-12 validator.
// Prints one JSON line per response that breaks the document:
//   {"line" (of RESPONSES.jsonl), "method", "path", "status", "error"}
// and a last line {"checked": N, "failed": M}. Exit status 0 unless DOC cannot be read.
//
// The response's operation is found like the server's router does: the request path
// against every path template of the document ({x} = one segment; more literal
// segments win), then the method (HEAD = GET, no body), then the status (exact, then
// 4XX/5XX). Undocumented path, method, status or content type: a failure. Two answers
// that no operation can document are checked against shared responses instead:
// an unknown /api/ path's 404 (components.responses.NotFound), a documented path's
// 405 for a method it does not have (components.responses.MethodNotAllowed), and a
// 500, which is a bug on any route (components.responses.InternalError).
'use strict';
const fs = require('fs');
const Ajv2020 = require('ajv/dist/2020').default;
const addFormats = require('ajv-formats').default;

const [docPath, logPath] = process.argv.slice(2);
const doc = JSON.parse(fs.readFileSync(docPath, 'utf8'));
const ajv = new Ajv2020({ strict: false, allErrors: true, validateSchema: false });
addFormats(ajv);

// $refs inside the document are "#/components/...": every schema is compiled with the
// components beside it, so they resolve the same way.
const compiled = new Map();
function validatorFor(schema) {
  if (!compiled.has(schema)) compiled.set(schema, ajv.compile({ ...schema, components: doc.components }));
  return compiled.get(schema);
}

function deref(obj) {
  while (obj && obj.$ref) {
    const parts = obj.$ref.replace(/^#\//, '').split('/').map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'));
    obj = parts.reduce((o, k) => (o ? o[k] : undefined), doc);
  }
  return obj;
}

const templates = Object.keys(doc.paths).map((t) => ({
  template: t,
  re: new RegExp('^' + t.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\{[^}]+\}/g, '[^/]+') + '$'),
  literal: t.split('/').filter((s) => s && !s.startsWith('{')).length,
}));

function findPath(path) {
  const hits = templates.filter((t) => t.re.test(path)).sort((a, b) => b.literal - a.literal);
  return hits.length ? hits[0].template : null;
}

function responseFor(op, status) {
  const r = op.responses || {};
  return r[String(status)] || r[String(status)[0] + 'XX'] || r.default;
}

// The media type of the document that the answer's Content-Type names, if any.
function mediaFor(response, type) {
  const content = response.content || {};
  const base = (type || '').split(';')[0].trim().toLowerCase();
  if (content[base]) return content[base];
  const wild = Object.keys(content).find((k) => k.endsWith('/*') && base.startsWith(k.slice(0, -1)));
  return wild ? content[wild] : undefined;
}

function check(r) {
  // the path nginx routes: dot segments resolved (/api/../x is not an API path)
  const url = new URL(r.path.split('?')[0], 'https://host').pathname;
  if (!/^\/(api|track)\//.test(url)) return null;
  const method = r.method.toUpperCase();
  const template = findPath(url);
  let response;
  let where;
  if (r.status === 500) {
    // a bug, never a contract: still the envelope
    response = deref({ $ref: '#/components/responses/InternalError' });
    where = 'components.responses.InternalError (500)';
  } else if (!template) {
    // outside /api/ the app's "everything else" is an HTML 404 page, no API
    if (!url.startsWith('/api/')) return r.status === 404 ? null : `no path of the document matches ${url}`;
    if (r.status !== 404) return `no path of the document matches ${url}`;
    response = deref({ $ref: '#/components/responses/NotFound' });
    where = 'components.responses.NotFound (an unknown /api/ path)';
  } else {
    const item = doc.paths[template];
    const op = item[method.toLowerCase()] || (method === 'HEAD' ? item.get : undefined);
    if (!op) {
      if (r.status !== 405) return `${template} has no ${method} operation (and the answer is not its 405)`;
      response = deref({ $ref: '#/components/responses/MethodNotAllowed' });
      where = 'components.responses.MethodNotAllowed';
    } else {
      response = deref(responseFor(op, r.status));
      where = `${method} ${template} ${r.status}`;
      if (!response) return `${method} ${template}: status ${r.status} is not documented`;
    }
  }
  const hasBody = r.length > 0 && method !== 'HEAD';
  if (!hasBody) {
    if (response.content && Object.keys(response.content).length && method !== 'HEAD' && r.status !== 304)
      return `${where}: the document promises a body (${Object.keys(response.content).join(', ')}), the answer has none`;
    return null;
  }
  if (!response.content) return `${where}: the answer has a body (${r.type}), the document says none`;
  const media = mediaFor(response, r.type);
  if (!media) return `${where}: content type ${r.type} is not documented (${Object.keys(response.content).join(', ')})`;
  if (!/json/.test(r.type) || !media.schema) return null;
  if (!('body' in r)) return `${where}: the JSON body did not parse`;
  const v = validatorFor(deref(media.schema));
  if (v(r.body)) return null;
  return `${where}: ` + v.errors.slice(0, 5).map((e) => `${e.instancePath || '(body)'} ${e.message}` +
    (e.params && e.params.additionalProperty ? ` (${e.params.additionalProperty})` : '') +
    (e.params && e.params.missingProperty === undefined && e.params.allowedValues ? ` ${JSON.stringify(e.params.allowedValues)}` : '')).join('; ');
}

let checked = 0;
let failed = 0;
const lines = logPath && fs.existsSync(logPath) ? fs.readFileSync(logPath, 'utf8').split('\n') : [];
for (const [index, line] of lines.entries()) {
  if (!line) continue;
  const r = JSON.parse(line);
  checked++;
  let error;
  try {
    error = check(r);
  } catch (e) {
    error = `validator error: ${e.message}`;
  }
  if (error) {
    failed++;
    console.log(JSON.stringify({ line: index + 1, method: r.method, path: r.path, status: r.status, error }));
  }
}
console.log(JSON.stringify({ checked, failed }));
