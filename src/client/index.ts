// `parley/client`: the typed client of the Administration API for chat. Self-contained (fetch only),
// so that it builds on its own into dist/client (docs/decisions/0005-client-package-entry.md).
export { AdminClient, type AdminClientOptions, type ExportMode, type FiltersOf, type IterateOptions, type RetryInfo } from './admin-client.ts'
export { AdminApiError, AdminClientError, AdminNetworkError, AdminProtocolError, type ServerErrors } from './errors.ts'
export { toParams, type ArrayFilter, type DialogFilters, type Filter, type MessageFilters, type PageQuery, type Range, type RawParams, type SortField, type TextFilter } from './filters.ts'
export type { Dialog, ItemOf, Message, Page, Resource } from './items.ts'
export { DEFAULT_RETRY, type RetryPolicy } from './retry.ts'
