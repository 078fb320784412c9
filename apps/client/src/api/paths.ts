/**
 * Every URL the console calls, checked against the contract: `apiPath` takes a path
 * template exactly as apps/server/openapi.json names it (a key of the generated `paths`)
 * and the values of its `{parameters}`, so an endpoint that leaves the contract, or a
 * parameter that is missing or misspelt, fails `tsc` (and so `npm run lint` and the build).
 */
import type { paths } from './generated/schema';

export type ApiPath = keyof paths;

/** `{name}` placeholders of a template, as a record of their values. */
type Params<T extends string> = T extends `${string}{${infer Name}}${infer Rest}`
  ? Record<Name, string | number> & Params<Rest>
  : unknown;

type ParamArgs<P extends string> = P extends `${string}{${string}}${string}`
  ? [params: Params<P>]
  : [];

export function apiPath<P extends ApiPath>(template: P, ...[params]: ParamArgs<P>): string {
  if (!params) return template;
  const values = params as Record<string, string | number>;
  return template.replace(/\{([^}]+)\}/g, (_, name: string) => {
    const value = values[name];
    if (value === undefined) throw new Error(`no value for {${name}} in ${template}`);
    return encodeURIComponent(String(value));
  });
}
