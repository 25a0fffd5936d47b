// Entry point: mounts the console. Loaded as a module script from 'self' (the CSP allows nothing else).
import { render } from 'preact'
import { App } from './app.tsx'

render(<App />, document.getElementById('app')!)
