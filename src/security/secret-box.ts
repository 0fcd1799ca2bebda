import { createCipheriv, createDecipheriv, createHmac, hkdfSync, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

/**
 * Encrypts secrets we must be able to read back (webhook signing secrets) with AES-256-GCM.
 * The key comes from SELLFLOW_ENCRYPTION_KEY, or is generated once into the data directory.
 */
export class SecretBox {
  private constructor(private readonly key: Buffer) {}

  static fromConfig(settings: { encryptionKey?: string; keyFile: string }): SecretBox {
    if (settings.encryptionKey) return new SecretBox(SecretBox.parseKey(settings.encryptionKey));
    try {
      return new SecretBox(SecretBox.parseKey(fs.readFileSync(settings.keyFile, 'utf8').trim()));
    } catch {
      fs.mkdirSync(path.dirname(settings.keyFile), { recursive: true });
      try {
        fs.writeFileSync(settings.keyFile, randomBytes(32).toString('hex'), { mode: 0o600, flag: 'wx' });
      } catch {
        // Another process created it first.
      }
      return new SecretBox(SecretBox.parseKey(fs.readFileSync(settings.keyFile, 'utf8').trim()));
    }
  }

  private static parseKey(text: string): Buffer {
    const key = /^[0-9a-f]{64}$/i.test(text) ? Buffer.from(text, 'hex') : Buffer.from(text, 'base64');
    if (key.length !== 32) throw new Error('The encryption key must be 32 bytes (64 hex characters or base64)');
    return key;
  }

  seal(plaintext: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return ['v1', iv.toString('base64'), cipher.getAuthTag().toString('base64'), body.toString('base64')].join('.');
  }

  /**
   * An HMAC-SHA256 of `message` under a key derived (HKDF) from this box's key for `purpose`
   * alone: links the server must recognise later without storing them, never a sealing key.
   */
  sign(purpose: string, message: string): Buffer {
    const key = Buffer.from(hkdfSync('sha256', this.key, Buffer.alloc(0), `sellflow:${purpose}`, 32));
    return createHmac('sha256', key).update(message).digest();
  }

  open(sealed: string): string {
    const [version, iv, tag, body] = sealed.split('.');
    if (version !== 'v1' || !iv || !tag || body === undefined) throw new Error('Not a sealed secret');
    const decipher = createDecipheriv('aes-256-gcm', this.key, Buffer.from(iv, 'base64'));
    decipher.setAuthTag(Buffer.from(tag, 'base64'));
    return Buffer.concat([decipher.update(Buffer.from(body, 'base64')), decipher.final()]).toString('utf8');
  }
}
