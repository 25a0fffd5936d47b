// The `parley` command: dispatch to src/cli/*. Every command takes --db / --database-url.
import { Command } from 'commander'
import { appCommand } from './cli/app.ts'
import { auditCommand } from './cli/audit.ts'
import { exportCommand } from './cli/export.ts'
import { importCommand } from './cli/import.ts'
import { keysCommand } from './cli/keys.ts'
import { migrateCommand } from './cli/migrate.ts'
import { serveCommand } from './cli/serve.ts'

const program = new Command()
  .name('parley')
  .description("A self-hosted chat backend speaking ConnectyCube's REST conventions")
  .version('0.1.0')
  .showHelpAfterError()

program.addCommand(serveCommand())
program.addCommand(keysCommand())
program.addCommand(importCommand())
program.addCommand(exportCommand())
program.addCommand(migrateCommand())
program.addCommand(appCommand())
program.addCommand(auditCommand())

try {
  await program.parseAsync(process.argv)
} catch (error) {
  process.stderr.write(`parley: ${(error as Error).message}\n`)
  process.exitCode = 2
}
