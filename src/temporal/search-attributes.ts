import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

/**
 * Custom search attributes: "find every stuck order of store 7" is one visibility query.
 * The dev server registers them at start; a real cluster needs them created once
 * (`sellflow temporal search-attributes` prints the commands).
 */
export const StoreIdAttribute = defineSearchAttributeKey('SellflowStoreId', SearchAttributeType.KEYWORD);
export const StatusAttribute = defineSearchAttributeKey('SellflowStatus', SearchAttributeType.KEYWORD);
export const NeedsAttentionAttribute = defineSearchAttributeKey('SellflowNeedsAttention', SearchAttributeType.BOOL);

/** The same list as the CLI's `--search-attribute Name=Type` flags. */
export const SEARCH_ATTRIBUTE_FLAGS: readonly string[] = [
  `${StoreIdAttribute.name}=Keyword`,
  `${StatusAttribute.name}=Keyword`,
  `${NeedsAttentionAttribute.name}=Bool`,
];
