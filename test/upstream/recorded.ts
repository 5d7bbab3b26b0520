/** What the test upstream saw of one request; shared by the server (Node) and the tests (workerd). */
export type Recorded = {
  method: string
  url: string
  headers: Record<string, string | string[] | undefined>
  body: string
  bytes: number
  sha256: string
}
