/** Replace the password of a URL (and any `password=` query parameter) with `***`. */
export function maskUrl(url: string | undefined | null): string {
  if (!url) return '';
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    for (const key of [...u.searchParams.keys()]) {
      if (/pass|secret|token/i.test(key)) u.searchParams.set(key, '***');
    }
    return u.toString();
  } catch {
    // Not a URL we can parse: hide anything that looks like user:pass@.
    return url.replace(/\/\/([^:/@]+):[^@]*@/, '//$1:***@');
  }
}
