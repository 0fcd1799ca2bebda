/** What a product's post-purchase redirect URL may name: SellApp's four dynamic variables. */
export interface RedirectOrder {
  /** Null (the checkout asked for none) fills in as empty. */
  customerEmail: string | null;
  orderId: number;
  /** The quantity of the order's first product. */
  quantity: number;
  paymentMethod: string;
}

/**
 * The product's redirect URL with `[customer_email]`, `[order_id]`, `[quantity]` and
 * `[payment_method]` filled in, each URL-encoded (an e-mail's `+` or `@` cannot change the URL's
 * meaning); anything else in the URL is left as the seller wrote it.
 */
export function fillRedirectUrl(template: string, order: RedirectOrder): string {
  const values: Record<string, string> = {
    customer_email: order.customerEmail ?? '',
    order_id: String(order.orderId),
    quantity: String(order.quantity),
    payment_method: order.paymentMethod,
  };
  return template.replace(/\[(customer_email|order_id|quantity|payment_method)\]/g, (_, name: string) => encodeURIComponent(values[name]!));
}
