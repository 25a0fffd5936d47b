// What this process sends to PostgreSQL: a spy on pg's client, for tests that check how many
// statements (and which) a request costs. Nothing is changed on the way.
import pg from 'pg'

/** The texts of the statements sent to PostgreSQL by this process while `run` runs. */
export async function sentDuring(run: () => Promise<void>): Promise<string[]> {
  const sent: string[] = []
  const query = pg.Client.prototype.query
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  pg.Client.prototype.query = function (this: pg.Client, ...args: any[]) {
    const first = args[0] as string | { text?: string }
    sent.push(typeof first === 'string' ? first : (first.text ?? ''))
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    return (query as any).apply(this, args)
  } as typeof query
  try {
    await run()
  } finally {
    pg.Client.prototype.query = query
  }
  return sent
}
