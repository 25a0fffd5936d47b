// What every chat route module receives from buildApp.
import type { FastifyRequest } from 'fastify'
import type { Config } from '../../../config.ts'
import type { Store } from '../../../store/connect.ts'
import type { ParamLimits } from '../../params.ts'

export interface ChatRouteDeps {
  store: Store
  config: Config
  limits: ParamLimits
  checkAuthKey(request: FastifyRequest, bodyKey: string | undefined): Promise<void>
}

export const tokenSecurity = [{ sessionToken: [] }]
