import ipaddr from 'ipaddr.js';

/**
 * Blacklist rules (SellApp's five types) and whether a customer matches one. Pure: the
 * caller supplies what it knows of the customer (an ASN only when it could resolve one).
 */
export const BLACKLIST_TYPES = ['ASN', 'COUNTRY', 'EMAIL', 'IP', 'WILDCARD_EMAIL'] as const;
export type BlacklistType = (typeof BLACKLIST_TYPES)[number];

export interface Customer {
  /** Null: the store does not ask for one, and the buyer gave none (no e-mail rule can match). */
  email: string | null;
  ip: string | null;
  country: string | null;
  asn: number | null;
}

/** A rule's data in its canonical form, or the reason it is not a valid rule. */
export function normaliseRule(type: BlacklistType, data: string): { data: string } | { problem: string } {
  const value = data.trim();
  switch (type) {
    case 'EMAIL':
      return /^[^@\s]+@[^@\s]+$/.test(value) ? { data: value.toLowerCase() } : { problem: 'an e-mail address, e.g. rick@astley.com' };
    case 'WILDCARD_EMAIL':
      // "@yahoo.com", "*@yahoo.com" or any pattern with * wildcards.
      return value.includes('@') || value.includes('*')
        ? { data: value.toLowerCase() }
        : { problem: 'an e-mail pattern, e.g. @yahoo.com or *spam*@*' };
    case 'IP':
      if (ipaddr.isValid(value)) return { data: ipaddr.process(value).toString() };
      try {
        const [range, bits] = ipaddr.parseCIDR(value);
        return { data: `${range.toString()}/${bits}` };
      } catch {
        return { problem: 'an IP address or CIDR range, e.g. 1.3.3.7 or 10.0.0.0/8' };
      }
    case 'COUNTRY':
      return /^[A-Za-z]{2}$/.test(value) ? { data: value.toUpperCase() } : { problem: 'a two-letter country code, e.g. BE' };
    case 'ASN': {
      const match = /^(?:AS)?(\d{1,10})$/i.exec(value);
      return match ? { data: `AS${Number(match[1])}` } : { problem: 'an autonomous system number, e.g. AS1234' };
    }
  }
}

function wildcard(pattern: string): RegExp {
  const body = pattern
    .split('*')
    .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
    .join('.*');
  // "@yahoo.com" means any address ending so.
  return new RegExp(pattern.includes('*') ? `^${body}$` : `${body}$`, 'i');
}

function ipMatches(rule: string, ip: string): boolean {
  if (!ipaddr.isValid(ip)) return false;
  const address = ipaddr.process(ip);
  if (!rule.includes('/')) return address.toString() === rule;
  const [range, bits] = ipaddr.parseCIDR(rule);
  if (address.kind() !== range.kind()) return false;
  return address.kind() === 'ipv4'
    ? (address as ipaddr.IPv4).match(range as ipaddr.IPv4, bits)
    : (address as ipaddr.IPv6).match(range as ipaddr.IPv6, bits);
}

export function matches(rule: { type: BlacklistType; data: string }, customer: Customer): boolean {
  switch (rule.type) {
    case 'EMAIL':
      return customer.email !== null && customer.email.toLowerCase() === rule.data.toLowerCase();
    case 'WILDCARD_EMAIL':
      return customer.email !== null && wildcard(rule.data).test(customer.email);
    case 'IP':
      return customer.ip !== null && ipMatches(rule.data, customer.ip);
    case 'COUNTRY':
      return customer.country !== null && customer.country.toUpperCase() === rule.data.toUpperCase();
    case 'ASN':
      return customer.asn !== null && `AS${customer.asn}` === rule.data.toUpperCase();
  }
}
