import maxmind, { type AsnResponse, type Reader } from 'maxmind';

/** The autonomous system an IP belongs to, for ASN blacklist rules. */
export interface AsnLookup {
  asnOf(ip: string): Promise<number | null>;
}

/** Without a database no IP has a known ASN: ASN rules then match nothing. */
export const noAsnLookup: AsnLookup = { asnOf: async () => null };

/**
 * Reads a MaxMind-format ASN database (GeoLite2-ASN.mmdb or compatible) named by
 * GEOIP_ASN_DATABASE; opened once, on first use.
 */
export function mmdbAsnLookup(path: string): AsnLookup {
  let reader: Promise<Reader<AsnResponse>> | undefined;
  return {
    async asnOf(ip) {
      reader ??= maxmind.open<AsnResponse>(path);
      try {
        return (await reader).get(ip)?.autonomous_system_number ?? null;
      } catch {
        return null;
      }
    },
  };
}
