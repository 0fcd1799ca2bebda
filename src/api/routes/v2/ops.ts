import { z } from 'zod';
import { ping } from '../../../temporal/ping-workflow-client';
import type { ApiDependencies } from '../../context';
import type { DocumentedRouter } from '../../route';

const pingBody = z.object({ message: z.string().min(1).max(200).default('ping') }).strict();

/** Ops endpoints: the ping proves API → Temporal → worker → database end to end. */
export function registerOpsRoutes(router: DocumentedRouter, deps: ApiDependencies): void {
  router.route({
    method: 'post',
    path: '/ops/ping',
    summary: 'Run the ping workflow and wait for its answer',
    tags: ['Ops'],
    scope: 'ops:write',
    modes: 'both',
    body: pingBody,
    response: z.object({
      data: z.object({
        pong: z.literal(true),
        workflowId: z.string(),
        message: z.string(),
        recordedAt: z.string(),
        databaseTime: z.string(),
      }),
    }),
    handler: async ({ body }) => {
      return { data: await ping(deps.temporal.client, deps.taskQueue, body.message) };
    },
  });
}
