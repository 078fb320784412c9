/**
 * Where the tokens live. The access token only in memory (gone on reload, never written to
 * storage). The refresh token is nowhere script can reach: the API keeps it in an HttpOnly
 * cookie scoped to `/api/v1/auth`; the page only reads the CSRF cookie that goes with it
 * (`sessionCookie.ts`). See README "Tokens".
 */

export interface AccessToken {
  accessToken: string;
  /** Epoch milliseconds when the access token expires. */
  expiresAt: number;
}

export class TokenStore {
  private accessToken: string | null = null;
  private expiresAt = 0;

  get access(): string | null {
    return this.accessToken;
  }

  get accessExpiresAt(): number {
    return this.expiresAt;
  }

  set(token: AccessToken): void {
    this.accessToken = token.accessToken;
    this.expiresAt = token.expiresAt;
  }

  clear(): void {
    this.accessToken = null;
    this.expiresAt = 0;
  }
}
