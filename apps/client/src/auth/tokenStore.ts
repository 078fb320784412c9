/**
 * Where the tokens live. The access token only in memory (gone on reload, never readable
 * from storage by injected script after the fact); the refresh token in sessionStorage so
 * a reload or a new route in the same tab keeps the session. See README "Tokens".
 */

export const REFRESH_TOKEN_KEY = 'ticket-triage.refresh-token';

export interface TokenPair {
  accessToken: string;
  refreshToken: string;
  /** Epoch milliseconds when the access token expires. */
  expiresAt: number;
}

export class TokenStore {
  private accessToken: string | null = null;
  private expiresAt = 0;

  constructor(private readonly storage: Storage | null = safeSessionStorage()) {}

  get access(): string | null {
    return this.accessToken;
  }

  get accessExpiresAt(): number {
    return this.expiresAt;
  }

  get refresh(): string | null {
    try {
      return this.storage?.getItem(REFRESH_TOKEN_KEY) ?? null;
    } catch {
      return null;
    }
  }

  set(pair: TokenPair): void {
    this.accessToken = pair.accessToken;
    this.expiresAt = pair.expiresAt;
    try {
      this.storage?.setItem(REFRESH_TOKEN_KEY, pair.refreshToken);
    } catch {
      // Storage full or disabled: the session then lasts as long as the access token.
    }
  }

  clear(): void {
    this.accessToken = null;
    this.expiresAt = 0;
    try {
      this.storage?.removeItem(REFRESH_TOKEN_KEY);
    } catch {
      // Nothing to clear.
    }
  }
}

function safeSessionStorage(): Storage | null {
  try {
    return typeof window === 'undefined' ? null : window.sessionStorage;
  } catch {
    return null;
  }
}
