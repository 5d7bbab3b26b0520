/**
 * Checks an `X-Callback-Url` header: an absolute http(s) URL and, when
 * CALLBACK_ALLOWED_HOSTS is set, one of those hosts. Returns the URL as it
 * will be called, or what is wrong with it.
 */
export function checkCallbackUrl(
  raw: string,
  allowedHosts: readonly string[],
): { url: string } | { problem: string } {
  const url = URL.parse(raw.trim())
  if (url === null || (url.protocol !== 'http:' && url.protocol !== 'https:'))
    return { problem: `X-Callback-Url must be an absolute http(s) URL, got "${raw}"` }
  if (allowedHosts.length > 0 && !allowedHosts.some((allowed) => hostMatches(url.hostname, allowed)))
    return {
      problem: `X-Callback-Url host "${url.hostname}" is not allowed; CALLBACK_ALLOWED_HOSTS lists ${allowedHosts.join(', ')}`,
    }
  return { url: url.href }
}

function hostMatches(host: string, allowed: string): boolean {
  if (allowed.startsWith('*.')) return host.endsWith(allowed.slice(1)) && host.length > allowed.length - 1
  return host === allowed
}
