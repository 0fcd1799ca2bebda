/** Who acts on the catalog: a store, in live or test mode (from the API key). */
export interface CatalogActor {
  storeId: number;
  storeSlug: string;
  livemode: boolean;
}
