/**
 * Which soft-deleted rows a SellApp list shows (its `with_trashed` / `only_trashed`): the live
 * ones unless asked for the deleted too, or only them.
 */
export interface TrashedFilter {
  with_trashed?: boolean;
  only_trashed?: boolean;
}

export function trashedWanted(filter: TrashedFilter): 'live' | 'trashed' | 'all' {
  if (filter.only_trashed) return 'trashed';
  return filter.with_trashed ? 'all' : 'live';
}
