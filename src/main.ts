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
  // Program options (-V, -h) are read only before the command. Without this, commander reads them
  // anywhere, so an option value that begins with them, such as `--key -Vx4…` (one random key in
  // 4,096 begins with "-V"), printed the version and exited 0, doing nothing.
  .enablePositionalOptions()

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
