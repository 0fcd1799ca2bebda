import { Router } from 'express';
import { findStoreBySlug } from '../../accounts/stores';
import { paypalBuyerReturned } from '../../orders/paypal-return';
import type { ApiDependencies } from '../context';
import { engineOf } from '../engine';
import { notFound } from '../errors';

/**
 * GET /checkout/{store}/invoices/{invoice}/paypal-return?token={order}: where PayPal sends the
 * buyer once they approved. The capture is owed, and the buyer goes on to the page their
 * checkout came from, which follows the order until it is delivered.
 */
export function paypalReturnRouter(deps: ApiDependencies): Router {
  const router = Router();
  router.get('/checkout/:store/invoices/:invoice/paypal-return', async (req, res) => {
    const store = await findStoreBySlug(deps.db, String(req.params.store));
    const invoiceId = /^\d{1,10}$/.test(String(req.params.invoice)) ? Number(req.params.invoice) : NaN;
    const orderId = typeof req.query.token === 'string' ? req.query.token.slice(0, 64) : '';
    const returned = store && invoiceId <= 2_147_483_647 ? await paypalBuyerReturned(engineOf(deps), store.id, invoiceId, orderId) : null;
    if (!store || !returned) throw notFound('Invoice');
    res.redirect(
      303,
      returned.returnTo ?? `${deps.config.api.publicBaseUrl.replace(/\/$/, '')}/stores/${store.slug}/invoices/${invoiceId}`,
    );
  });
  return router;
}
