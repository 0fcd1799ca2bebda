/**
 * Takes credentials out of a message before it leaves an adapter: platforms and HTTP layers
 * quote what they were sent (URLs with a bot token, form bodies with a client secret).
 * Strings shorter than 6 characters are left alone: they are not secrets, and blanking them
 * would garble the message.
 */
export function redactSecrets(message: string, secrets: readonly (string | null | undefined)[]): string {
  return secrets
    .filter((s): s is string => typeof s === 'string' && s.length >= 6)
    .reduce((text, secret) => text.split(secret).join('[token]'), message);
}
