/**
 * Encryption at rest for every stored secret (session tokens, the MetaHuman SDK token): AES-GCM
 * with a 256-bit key that WebCrypto creates as non-extractable and IndexedDB keeps as a CryptoKey
 * object, so the key's bytes never exist in script memory and records read or exported as data do
 * not reveal the tokens. The key lives in the same database as the records: a copied profile
 * carries both and opens them (docs/security.md: "Sealing at rest").
 */

export interface SealedSecret {
  alg: 'AES-GCM';
  iv: Uint8Array<ArrayBuffer>;
  data: ArrayBuffer;
}

/** Where the key lives (IndexedDB in the extension; a plain variable in tests). */
export interface KeyStore {
  get(): Promise<CryptoKey | undefined>;
  set(key: CryptoKey): Promise<void>;
}

export interface SecretVault {
  /** `context` is bound into the ciphertext: a sealed value only opens for the record it was sealed for. */
  seal(plain: string, context: string): Promise<SealedSecret>;
  open(sealed: SealedSecret, context: string): Promise<string>;
}

export function isSealedSecret(value: unknown): value is SealedSecret {
  const sealed = value as Partial<SealedSecret> | null;
  return (
    typeof sealed === 'object' &&
    sealed !== null &&
    sealed.alg === 'AES-GCM' &&
    sealed.iv instanceof Uint8Array &&
    sealed.data instanceof ArrayBuffer
  );
}

export function createSecretVault(keys: KeyStore, subtle: SubtleCrypto = crypto.subtle): SecretVault {
  let key: Promise<CryptoKey> | undefined;
  const encoder = new TextEncoder();

  async function loadOrCreate(): Promise<CryptoKey> {
    const existing = await keys.get();
    if (existing) return existing;
    const created = await subtle.generateKey({ name: 'AES-GCM', length: 256 }, false, ['encrypt', 'decrypt']);
    await keys.set(created);
    return created;
  }

  function currentKey(): Promise<CryptoKey> {
    // One key per worker life: concurrent first uses must not each create (and overwrite) one.
    key ??= loadOrCreate().catch((error: unknown) => {
      key = undefined;
      throw error;
    });
    return key;
  }

  return {
    async seal(plain, context) {
      const iv = crypto.getRandomValues(new Uint8Array(12));
      const data = await subtle.encrypt(
        { name: 'AES-GCM', iv, additionalData: encoder.encode(context) },
        await currentKey(),
        encoder.encode(plain),
      );
      return { alg: 'AES-GCM', iv, data };
    },
    async open(sealed, context) {
      const plain = await subtle.decrypt(
        { name: 'AES-GCM', iv: sealed.iv, additionalData: encoder.encode(context) },
        await currentKey(),
        sealed.data,
      );
      return new TextDecoder().decode(plain);
    },
  };
}
