import { type Kysely, sql } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  // The send key (a delivery_emails key under the grant's invoice) of the one e-mail that carries
  // the grant's invite link: 'order' (the delivery e-mail) or 'community-link-<grant>' (its own).
  // Set under the order's lock by whichever takes the link first; the other leaves it out.
  await db.schema.alterTable('community_grants').addColumn('link_email_key', 'text').execute();
  // Links already owed an e-mail of their own (sent, or its notice recorded) stay with it.
  await sql`
    update community_grants g set link_email_key = 'community-link-' || g.id
    where g.invite_url is not null
      and (exists (select 1 from delivery_emails e where e.invoice_id = g.invoice_id and e.send_key = 'community-link-' || g.id)
        or exists (
          select 1 from engine_intents i
          where i.kind = 'buyer_notice.send' and i.subject_id = g.invoice_id
            -- the cast only on this kind's detail (a plain AND may run it first)
            and (case when i.kind = 'buyer_notice.send' then (i.detail ->> 'notice')::jsonb end)
              @> jsonb_build_object('kind', 'community_link', 'grantId', g.id)))`.execute(db);
  // The rest was there when the order's delivery e-mail read the grants (or will be when it does):
  // that e-mail's, so a retry of it still carries them.
  await sql`
    update community_grants g set link_email_key = 'order'
    where g.invite_url is not null and g.link_email_key is null
      and exists (select 1 from delivery_emails e where e.invoice_id = g.invoice_id and e.send_key = 'order')`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('community_grants').dropColumn('link_email_key').execute();
}
