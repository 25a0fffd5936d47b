import SQLite from 'better-sqlite3'
import { sqliteFloor, sqliteKeysetLoop } from '../measure.ts'
const file = '/var/tmp/parley-bench/parley-bench-1m-seed1-a4778331.db'
const db = new SQLite(file, { readonly: true })
const ids = (db.prepare('select id from messages order by random() limit 2000').all() as { id: string }[]).map((r) => r.id)
db.close()
let i = 0
const f = sqliteFloor(file, () => ids[i++ % ids.length]!, { seconds: 3, maxRequests: 5000 })
console.log(JSON.stringify(f.queryStringify))
console.log(sqliteKeysetLoop(file, 10).itemsPerSecond)
