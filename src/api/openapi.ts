import { OpenAPIRegistry, OpenApiGeneratorV31, extendZodWithOpenApi } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';
import { ERROR_STATUS, type ErrorType } from './errors';

extendZodWithOpenApi(z);

/** The error envelope every route may answer with, described once. */
export const errorBodySchema = z
  .object({
    error: z.object({
      type: z.enum(Object.keys(ERROR_STATUS) as [ErrorType, ...ErrorType[]]),
      code: z.string(),
      message: z.string(),
      param: z.string().nullable(),
    }),
    message: z.string(),
    errors: z.record(z.string(), z.array(z.string())).optional(),
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
