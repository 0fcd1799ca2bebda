import { isUtf8 } from 'node:buffer';
import type { IncomingMessage } from 'node:http';
import express, { type RequestHandler } from 'express';
import { ApiError } from '../errors';

/**
 * The trust boundary for text. Postgres refuses NUL in text and jsonb, and bytes that are not
 * UTF-8 would reach it as replacement characters: either is a client's mistake, so it is a 400
 * decided here, once, before any router, instead of a database error deep in some route.
 */

/** Nesting beyond this is no resource of ours, and deep enough to overflow recursive code downstream. */
const MAX_JSON_DEPTH = 64;

/** A lone UTF-16 surrogate: what a JSON `\ud800` escape decodes to, with no UTF-8 form. */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

function rejected(where: string, param: string | null, problem: 'nul' | 'utf8'): ApiError {
  const message =
    problem === 'nul' ? `${where} contains a NUL character (\\u0000), which is never accepted` : `${where} is not valid UTF-8 text`;
  return new ApiError('invalid_request', problem === 'nul' ? 'nul_character' : 'invalid_utf8', message, { param });
}

/** The request target's bytes with %XX sequences decoded (Node hands the target over as latin1). */
function decodedTarget(target: string): Buffer {
  return Buffer.from(
    target.replace(/%([0-9A-Fa-f]{2})/g, (_m, hex: string) => String.fromCharCode(parseInt(hex, 16))),
    'latin1',
  );
}

function checkTarget(url: string): ApiError | null {
  const queryAt = url.indexOf('?');
  const parts: Array<['path' | 'query', string]> = [
    ['path', queryAt < 0 ? url : url.slice(0, queryAt)],
    ['query', queryAt < 0 ? '' : url.slice(queryAt + 1)],
  ];
  for (const [where, text] of parts) {
    const bytes = decodedTarget(text);
    if (bytes.includes(0)) return rejected(`The URL ${where}`, where, 'nul');
    if (!isUtf8(bytes)) return rejected(`The URL ${where}`, where, 'utf8');
  }
  return null;
}

/** Header values arrive as latin1: their bytes must still be UTF-8, and hold no NUL. */
function checkHeaders(req: IncomingMessage): ApiError | null {
  for (let i = 0; i < req.rawHeaders.length; i += 2) {
    const name = req.rawHeaders[i]!;
    const value = req.rawHeaders[i + 1]!;
    if (value.includes('\u0000')) return rejected(`The ${name} header`, name, 'nul');
    // eslint-disable-next-line no-control-regex
    if (/[^\x00-\x7F]/.test(value) && !isUtf8(Buffer.from(value, 'latin1'))) return rejected(`The ${name} header`, name, 'utf8');
  }
  return null;
}

/**
 * Mounted first: the URL path and query (percent-decoded) and every header. Raw-body routes
 * (presigned uploads, signed webhooks) get no other check; JSON bodies get `jsonBody` as well.
 */
export function inputGuard(): RequestHandler {
  return (req, _res, next) => {
    next(checkTarget(req.originalUrl) ?? checkHeaders(req) ?? undefined);
  };
}

function fieldPath(path: ReadonlyArray<string | number>): string {
  return path.length === 0 ? 'body' : path.map(String).join('.');
}

function badText(text: string): 'nul' | 'utf8' | null {
  if (text.includes('\u0000')) return 'nul';
  return LONE_SURROGATE.test(text) ? 'utf8' : null;
}

export interface UnsafeText {
  /** Where: a dotted path, `body` for the value itself. */
  param: string;
  problem: 'nul' | 'utf8' | 'depth';
  /** The problem is in a key under `param`, not in a value. */
  inKey: boolean;
}

/**
 * Where a parsed JSON value holds text Postgres cannot take (NUL, a lone surrogate) or nests
 * deeper than any resource; null when it is clean. Walks without recursion, so a deep value
 * cannot overflow the stack here either. Also for bodies read raw (signed webhooks), once verified.
 */
export function findUnsafeText(root: unknown): UnsafeText | null {
  const stack: Array<{ value: unknown; path: Array<string | number> }> = [{ value: root, path: [] }];
  while (stack.length > 0) {
    const { value, path } = stack.pop()!;
    if (typeof value === 'string') {
      const problem = badText(value);
      if (problem) return { param: fieldPath(path), problem, inKey: false };
    } else if (value !== null && typeof value === 'object') {
      if (path.length >= MAX_JSON_DEPTH) return { param: fieldPath(path), problem: 'depth', inKey: false };
      for (const [key, item] of Object.entries(value)) {
        const problem = badText(key);
        if (problem) return { param: fieldPath(path), problem, inKey: true };
        stack.push({ value: item, path: [...path, Array.isArray(value) ? Number(key) : key] });
      }
    }
  }
  return null;
}

function checkParsed(body: unknown): ApiError | null {
  const found = findUnsafeText(body);
  if (!found) return null;
  if (found.problem === 'depth') {
    return new ApiError('invalid_request', 'body_too_deep', `The body nests deeper than ${MAX_JSON_DEPTH} levels`, { param: found.param });
  }
  return rejected(found.inKey ? `A body key under ${found.param}` : `The body field ${found.param}`, found.param, found.problem);
}

/**
 * The JSON body parser with the same rule: the raw bytes must be UTF-8 (the parser would
 * quietly turn bad bytes into U+FFFD), and no string or key may hold NUL or a lone surrogate.
 */
export function jsonBody(options: { limit: string }): RequestHandler[] {
  const parse = express.json({
    limit: options.limit,
    // Not strict, so a body of JSON `null` parses: the seed-era clients send it with DELETE.
    strict: false,
    verify: (_req, _res, buffer, encoding) => {
      if ((encoding === 'utf-8' || encoding === 'utf8') && !isUtf8(buffer)) throw rejected('The request body', 'body', 'utf8');
    },
  });
  const check: RequestHandler = (req, _res, next) => {
    // `null` is no body at all; any other bare value is not a request body (as strict parsing said).
    if (req.body === null) req.body = undefined;
    if (req.body !== undefined && typeof req.body !== 'object')
      return next(
        new ApiError('invalid_request', 'invalid_json', 'The request body must be a JSON object or array', {
          param: 'body',
          sellappMessage: 'Malformed JSON in request body.',
        }),
      );
    next(req.body === undefined ? undefined : (checkParsed(req.body) ?? undefined));
  };
  return [parse, check];
}
