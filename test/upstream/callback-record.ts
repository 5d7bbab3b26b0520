/** One callback as the test receiver saw it; shared by the receiver (Node) and the tests (workerd). */
export type Callback = {
  method: string
  headers: Record<string, string | string[] | undefined>
  bytes: number
  sha256: string
  text: string
  /** Whether the README's verification snippet accepts it. */
  verified: boolean
  /** Whether the snippet would accept it with one byte added to the body: it must not. */
  tamperedVerified: boolean
  at: number
}
