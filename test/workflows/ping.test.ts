import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { createPingActivities } from '../../activities/ping';
import { workflowIds } from '../../src/temporal/workflow-ids';
import { type Harness, startHarness } from '../helpers/harness';

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ worker: true });
});
afterAll(() => h.close());

describe('ping workflow', () => {
  it('runs worker ↔ Temporal ↔ database end to end', async () => {
    const workflowId = workflowIds.ping(randomUUID());
    const result = await h.temporal.client.workflow.execute('ping', { taskQueue: h.taskQueue, workflowId, args: ['hello'] });
    expect(result).toMatchObject({ pong: true, workflowId, message: 'hello' });
    const rows = await h.db.selectFrom('ping_runs').selectAll().where('workflow_id', '=', workflowId).execute();
    expect(rows).toHaveLength(1);
    const history = await h.temporal.client.workflow.getHandle(workflowId).fetchHistory();
    const completed = history.events?.filter((e) => e.activityTaskCompletedEventAttributes) ?? [];
    expect(completed).toHaveLength(1);
  });

  it('is reachable over HTTP through POST /api/v2/ops/ping', async () => {
    const store = await h.createStore();
    const res = await request(h.app).post('/api/v2/ops/ping').set('Authorization', `Bearer ${store.live}`).send({ message: 'over http' });
    expect(res.status).toBe(200);
    expect(res.body.data).toMatchObject({ pong: true, message: 'over http' });
    expect(Date.parse(res.body.data.databaseTime)).not.toBeNaN();
  });

  it('records once when the activity is retried with the same workflow id', async () => {
    const { recordPing } = createPingActivities({ db: h.db });
    const workflowId = workflowIds.ping(randomUUID());
    const first = await recordPing({ message: 'one', workflowId });
    const retried = await recordPing({ message: 'one', workflowId });
    expect(retried.recordedAt).toBe(first.recordedAt);
    const rows = await h.db.selectFrom('ping_runs').selectAll().where('workflow_id', '=', workflowId).execute();
    expect(rows).toHaveLength(1);
  });
});
