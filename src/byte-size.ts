const UNIT_BYTES: Record<string, number> = {
  '': 1,
  b: 1,
  kb: 1000,
  mb: 1000 ** 2,
  gb: 1000 ** 3,
  kib: 1024,
  mib: 1024 ** 2,
  gib: 1024 ** 3,
}

/** Bytes from `10MiB`, `512KB`, `1048576` (case-insensitive); undefined if it is not a whole size. */
export function parseByteSize(raw: string): number | undefined {
  const match = /^(\d+)\s*([a-z]*)$/i.exec(raw.trim())
  if (!match) return undefined
  const unit = UNIT_BYTES[(match[2] ?? '').toLowerCase()]
  if (unit === undefined) return undefined
  const bytes = Number(match[1]) * unit
  return Number.isSafeInteger(bytes) ? bytes : undefined
}
