import express, { type Request, type Response, type Router } from 'express';
import type { ApiDependencies } from '../api/context';
import { paymentProofBody, paymentProofUploadBody } from '../api/schemas/fast-checkout';
import { type BuyerOrderRef, startProofUpload, submitPaymentProof } from '../orders/payment-proof';
import { type FormRefusal, formErrors } from './form';
import type { FastCheckoutStore } from '../orders/fast-checkout';

/** A buyer's order page: by the order token, or by id behind the invoice page's signature. */
export interface OrderPageRef {
  store: FastCheckoutStore;
  by: { token: string } | { invoiceId: number };
  pagePath: string;
}

/**
 * The proof of a custom payment from the buyer's order page (by the order token, or the invoice
 * page's signature): the page's script asks here for a presigned upload of the screenshot
 * (the API's own upload path and limits), PUTs it, then the form posts the text and the image's
 * key. Without script the text alone still goes. Either way the buyer lands back on the page,
 * now "in review", or sees why the proof was refused beside the form.
 */
export function proofRoutes(
  router: Router,
  deps: Pick<ApiDependencies, 'db' | 'storage'>,
  options: {
    pages: Record<string, (req: Request) => Promise<OrderPageRef>>;
    refusedPage: (req: Request, res: Response, page: OrderPageRef, message: string, status: number) => Promise<unknown>;
  },
): void {
  const refOf = (page: OrderPageRef): BuyerOrderRef => ('token' in page.by ? page.by.token : { invoiceId: page.by.invoiceId });
  for (const [path, pageOf] of Object.entries(options.pages)) {
    router.post(`${path}/proof/uploads`, express.json({ limit: '4kb' }), async (req, res) => {
      const page = await pageOf(req);
      const body = paymentProofUploadBody.safeParse(req.body);
      if (!body.success) return void res.status(422).json({ message: 'Choose an image file.' });
      try {
        const upload = await startProofUpload(deps.db, deps.storage, page.store.id, refOf(page), {
          fileName: body.data.file_name,
          contentType: body.data.content_type,
          contentLength: body.data.content_length,
        });
        res.status(201).json({ key: upload.key, url: upload.url, headers: { 'Content-Type': body.data.content_type } });
      } catch (error) {
        const refused = formErrors(error);
        if (!refused) throw error;
        res.status(refused.status).json({ message: refusalMessage(refused) });
      }
    });

    router.post(`${path}/proof`, async (req, res) => {
      const page = await pageOf(req);
      const form = (req.body ?? {}) as Record<string, unknown>;
      // The form always sends image_key, empty when no screenshot was uploaded.
      const body = paymentProofBody.safeParse({ text: form.text, image_key: form.image_key || undefined });
      if (!body.success) return void (await options.refusedPage(req, res, page, 'The proof text is too long.', 422));
      try {
        await submitPaymentProof(deps.db, deps.storage, page.store.id, refOf(page), {
          text: body.data.text,
          imageKey: body.data.image_key ?? null,
        });
        res.redirect(303, page.pagePath);
      } catch (error) {
        const refused = formErrors(error);
        if (!refused) throw error;
        await options.refusedPage(req, res, page, refusalMessage(refused), refused.status);
      }
    });
  }
}

/** The proof form has one place for what went wrong: every reason in one line. */
function refusalMessage(refused: FormRefusal): string {
  return [...Object.values(refused.fields).flat(), ...refused.other].join(' ') || refused.message;
}
