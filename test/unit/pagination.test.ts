import { pageQuery, toPage } from '../../src/api/pagination';

describe('SellApp pagination', () => {
  it('parses query strings with defaults and bounds', () => {
    expect(pageQuery.parse({})).toEqual({ page: 1, limit: 15 });
    expect(pageQuery.parse({ page: '3', limit: '100' })).toEqual({ page: 3, limit: 100 });
    expect(pageQuery.safeParse({ limit: '101' }).success).toBe(false);
    expect(pageQuery.safeParse({ page: '1.5' }).success).toBe(false);
  });

  it('builds meta and links for a middle page', () => {
    const page = toPage(['k', 'l'], 32, { page: 6, limit: 2 }, 'http://x/api/v2/things');
    expect(page.meta).toMatchObject({ current_page: 6, from: 11, to: 12, last_page: 16, per_page: 2, total: 32 });
    expect(page.links.prev).toBe('http://x/api/v2/things?page=5&limit=2');
    expect(page.links.next).toBe('http://x/api/v2/things?page=7&limit=2');
    // Previous, pages 3..9, Next: a window, not all 16 pages.
    expect(page.meta.links.map((l) => l.label)).toEqual(['&laquo; Previous', '3', '4', '5', '6', '7', '8', '9', 'Next &raquo;']);
    expect(page.meta.links.find((l) => l.active)?.label).toBe('6');
  });

  it('describes an empty list as one empty page', () => {
    const page = toPage([], 0, { page: 1, limit: 15 }, 'http://x/p');
    expect(page.meta).toMatchObject({ from: null, to: null, last_page: 1, total: 0 });
    expect(page.links.next).toBeNull();
  });
});
