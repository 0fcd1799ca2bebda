import { isWithinOneYear, normaliseInterval } from '../../src/domain/billing-interval';
import { parseSerials, SerialParsingError } from '../../src/domain/serials';
import { slugify } from '../../src/domain/slug';
import { signGrant, verifyGrant } from '../../src/storage/signed-url';
import { isInNamespace } from '../../src/storage/object-storage';

describe('serial parsing', () => {
  it('splits lists of pasted texts too, and dedupes against existing stock', () => {
    expect(parseSerials(['a,b', 'c'], { mode: 'COMMA', removeDuplicates: false }).serials).toEqual(['a', 'b', 'c']);
    expect(parseSerials('a\nb\nc', { mode: 'NEW_LINE', removeDuplicates: true, existing: new Set(['b']) })).toEqual({
      serials: ['a', 'c'],
      duplicatesRemoved: 1,
    });
    expect(parseSerials('  \n , ', { mode: 'COMMA', removeDuplicates: false }).serials).toEqual([]);
    expect(() => parseSerials('a', { mode: 'CUSTOM', removeDuplicates: false })).toThrow(SerialParsingError);
  });

  it('keeps serials that contain other separators intact', () => {
    expect(parseSerials('KEY 1,KEY 2', { mode: 'COMMA', removeDuplicates: false }).serials).toEqual(['KEY 1', 'KEY 2']);
    expect(parseSerials('a,b\nc,d', { mode: 'NEW_LINE', removeDuplicates: false }).serials).toEqual(['a,b', 'c,d']);
  });
});

describe('billing intervals', () => {
  it('allow at most one year', () => {
    expect([isWithinOneYear(365, 'DAY'), isWithinOneYear(366, 'DAY'), isWithinOneYear(52, 'WEEK'), isWithinOneYear(53, 'WEEK')]).toEqual([
      true,
      false,
      true,
      false,
    ]);
    expect([
      isWithinOneYear(12, 'MONTH'),
      isWithinOneYear(13, 'MONTH'),
      isWithinOneYear(1, 'YEAR'),
      isWithinOneYear(2, 'YEAR'),
      isWithinOneYear(0, 'DAY'),
    ]).toEqual([true, false, true, false, false]);
  });

  it('read the usual spellings', () => {
    expect(['month', 'MONTHLY', 'weeks', 'daily', 'Year', 'yearly'].map(normaliseInterval)).toEqual([
      'MONTH',
      'MONTH',
      'WEEK',
      'DAY',
      'YEAR',
      'YEAR',
    ]);
    expect(normaliseInterval('fortnight')).toBeNull();
  });
});

describe('slugs', () => {
  it('are lower-case ASCII with single dashes', () => {
    expect(slugify('This will make me rich!')).toBe('this-will-make-me-rich');
    expect(slugify('Crème brûlée — 2 pack')).toBe('creme-brulee-2-pack');
    expect(slugify('!!!')).toBe('product');
  });
});

describe('signed URLs and namespaces', () => {
  const grant = {
    method: 'PUT' as const,
    key: 'sellers/1/api/a.zip',
    expires: 2_000_000_000,
    contentType: 'application/zip',
    contentLength: 5,
  };
  it('verify only the exact grant, until it expires', () => {
    const signature = signGrant('secret', grant);
    expect(verifyGrant('secret', grant, signature, 0)).toEqual({ ok: true });
    expect(verifyGrant('other', grant, signature, 0)).toEqual({ ok: false, reason: 'bad_signature' });
    expect(verifyGrant('secret', { ...grant, contentLength: 6 }, signature, 0)).toEqual({ ok: false, reason: 'bad_signature' });
    expect(verifyGrant('secret', { ...grant, method: 'GET' }, signature, 0)).toEqual({ ok: false, reason: 'bad_signature' });
    expect(verifyGrant('secret', grant, 'zz', 0)).toEqual({ ok: false, reason: 'bad_signature' });
    expect(verifyGrant('secret', grant, signature, 2_000_000_001_000)).toEqual({ ok: false, reason: 'expired' });
  });

  it('keep each store inside sellers/<store>/api/', () => {
    expect(isInNamespace('sellers/7/api/x.zip', 7)).toBe(true);
    expect(isInNamespace('sellers/7/api/', 7)).toBe(false);
    expect(isInNamespace('sellers/70/api/x.zip', 7)).toBe(false);
    expect(isInNamespace('sellers/7/api/../../8/api/x', 7)).toBe(false);
    expect(isInNamespace('sellers/7/api//x', 7)).toBe(false);
  });
});
