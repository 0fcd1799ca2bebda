import type { OpenAPIRegistry, RouteConfig } from '@asteasolutions/zod-to-openapi';
import { Router, type Request, type Response } from 'express';
import { type z } from 'zod';
import { inLivemode } from '../db/livemode-scope';
import type { Scope } from '../domain/scopes';
import { ApiError, permissionDenied, validationFailed } from './errors';
import { errorBodySchema } from './openapi';
import type { RequestAuth } from './middleware/authenticate';

export type Method = 'get' | 'post' | 'put' | 'patch' | 'delete';

export type RouteModes = 'both' | 'live-only';

/** GETs and the POST …/search (or …/validate) forms of reads. */
function isRead(method: Method, path: string): boolean {
  return method === 'get' || (method === 'post' && /\/(search|validate)$/.test(path));
}

export interface RouteContext<P, Q, B> {
  req: Request;
  res: Response;
  params: P;
  query: Q;
  body: B;
  auth: RequestAuth;
}

export interface RouteSpec<P, Q, B> {
  /** Several methods for one operation the spec serves under each (PUT and PATCH updates). */
  method: Method | readonly Method[];
  /** Express-style path relative to the router's mount point, e.g. `/products/:product`. */
  path: string;
  summary: string;
  tags: string[];
  /** The scope a key needs; every route under an authenticated router names one ('none': what any key may read of itself). */
  scope: Scope | 'none';
  /**
   * Which keys may call it. Reads default to both modes (each key sees its own mode's
   * rows); writes default to live keys only, so a new write route is closed to test keys
   * until it says otherwise. `both` is for writes on rows that belong to one mode
   * (invoices, webhooks, license keys…), which the mode scope below confines.
   */
  modes?: RouteModes;
  params?: z.ZodType<P>;
  query?: z.ZodType<Q>;
  body?: z.ZodType<B>;
  status?: number;
  response: z.ZodType;
  handler: (ctx: RouteContext<P, Q, B>) => Promise<unknown>;
}

function parseOrThrow<T>(schema: z.ZodType<T> | undefined, value: unknown, location: 'body' | 'query' | 'params'): T {
  if (!schema) return undefined as T;
  const result = schema.safeParse(value ?? {});
  if (!result.success) throw validationFailed(result.error, location);
  return result.data;
}

function toOpenApiPath(path: string): string {
  return path.replace(/:([A-Za-z_][A-Za-z0-9_]*)/g, '{$1}');
}

/**
 * An Express router whose routes are also written into the OpenAPI registry from the
 * same zod schemas that validate them, so the document can never drift from the code.
 */
export class DocumentedRouter {
  readonly router = Router();
  private readonly firstSegments = new Set<string>();

  constructor(
    private readonly registry: OpenAPIRegistry,
    readonly mountPath: string,
    /** Which of the routes registered here to serve (all by default): for a family that re-serves a few of another's. */
    private readonly serves: (method: Method, path: string) => boolean = () => true,
  ) {}

  /** The paths this router answers under, one per first segment (`/api/v1/products`…). */
  ownedPaths(): string[] {
    return [...this.firstSegments].map((segment) => `${this.mountPath}/${segment}`);
  }

  route<P = undefined, Q = undefined, B = undefined>(spec: RouteSpec<P, Q, B>): this {
    if (typeof spec.method !== 'string') {
      for (const method of spec.method) this.route({ ...spec, method });
      return this;
    }
    const method = spec.method;
    if (!this.serves(method, spec.path)) return this;
    this.firstSegments.add(spec.path.split('/')[1]!);
    const status = spec.status ?? 200;
    const modes: RouteModes = spec.modes ?? (isRead(method, spec.path) ? 'both' : 'live-only');
    const openapi: RouteConfig = {
      method,
      path: toOpenApiPath(this.mountPath + spec.path),
      summary: spec.summary,
      tags: spec.tags,
      security: [{ bearerAuth: [] }],
      description: `${spec.scope === 'none' ? 'Any key' : `Requires scope \`${spec.scope}\``}${modes === 'live-only' ? ' and a live key' : ''}.`,
      'x-sellflow-modes': modes,
      request: {
        ...(spec.params ? { params: spec.params as unknown as z.ZodObject } : {}),
        ...(spec.query ? { query: spec.query as unknown as z.ZodObject } : {}),
        ...(spec.body ? { body: { content: { 'application/json': { schema: spec.body } }, required: true } } : {}),
      },
      responses: {
        [status]: { description: 'Success', content: { 'application/json': { schema: spec.response } } },
        default: { description: 'Error', content: { 'application/json': { schema: errorBodySchema } } },
      },
    };
    this.registry.registerPath(openapi);

    this.router[method](spec.path, async (req: Request, res: Response) => {
      const auth = res.locals.auth as RequestAuth | undefined;
      if (!auth) throw new ApiError('internal_error', 'missing_auth', 'Route reached without authentication');
      if (spec.scope !== 'none' && !auth.scopes.includes(spec.scope)) {
        throw permissionDenied('missing_scope', `This API key lacks the ${spec.scope} scope`);
      }
      if (!auth.livemode && modes === 'live-only') {
        throw permissionDenied(
          'livemode_required',
          `Test-mode keys cannot call ${method.toUpperCase()} ${this.mountPath}${spec.path}; use a live key`,
        );
      }
      const params = parseOrThrow(spec.params, req.params, 'params');
      const query = parseOrThrow(spec.query, req.query, 'query');
      const body = parseOrThrow(spec.body, req.body, 'body');
      // Every query the handler makes sees only rows of the key's mode (src/db/livemode-scope.ts).
      const result = await inLivemode(auth.livemode, () => spec.handler({ req, res, params, query, body, auth }));
      // A handler may pick another success status (e.g. 202 for work still under way).
      if (!res.headersSent) res.status(res.statusCode !== 200 ? res.statusCode : status).json(result);
    });
    return this;
  }
}
