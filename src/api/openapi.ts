import { OpenAPIRegistry, OpenApiGeneratorV31, extendZodWithOpenApi } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';
import { ERROR_STATUS, SPEC_ERROR_TYPES, type ErrorType } from './errors';

extendZodWithOpenApi(z);

/** The error body every route may answer with, described once: SellApp's fields and the Sell seed's `error`. */
export const errorBodySchema = z
  .object({
    type: z.enum(SPEC_ERROR_TYPES),
    code: z.string(),
    message: z.string(),
    status: z.number().int().min(400).max(599),
    param: z.string().nullable(),
    request_id: z.uuid(),
    docs_url: z.url(),
    errors: z.record(z.string(), z.array(z.string())).optional().openapi({ description: 'Field → messages, on validation failures.' }),
    error: z.object({
      type: z.enum(Object.keys(ERROR_STATUS) as [ErrorType, ...ErrorType[]]),
      code: z.string(),
      message: z.string(),
      param: z.string().nullable(),
    }),
  })
  .openapi('Error');

export function createRegistry(): OpenAPIRegistry {
  const registry = new OpenAPIRegistry();
  registry.registerComponent('securitySchemes', 'bearerAuth', {
    type: 'http',
    scheme: 'bearer',
    description: 'sf_live_… or sf_test_… API key',
  });
  registry.register('Error', errorBodySchema);
  return registry;
}

export function generateDocument(registry: OpenAPIRegistry, serverUrl: string) {
  return new OpenApiGeneratorV31(registry.definitions).generateDocument({
    openapi: '3.1.0',
    info: {
      title: 'Sellflow API',
      version: '0.1.0',
      description: 'Order orchestration for digital-goods stores. SellApp v1/v2 and Sell publishing API compatible.',
    },
    servers: [{ url: serverUrl }],
  });
}
