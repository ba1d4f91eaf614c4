// ApiError: the only error class services throw; rendered as PocketBase's {status, message, data}.

export interface FieldError {
  code: string
  message: string
  params?: Record<string, unknown>
}

/** Per-field errors, possibly nested (e.g. collection `fields.0.name`). */
export type ErrorData = { [key: string]: FieldError | ErrorData }

export type ApiStatus = 400 | 401 | 403 | 404 | 408 | 409 | 413 | 415 | 429 | 500 | 501 | 503 | 507

const DEFAULT_MESSAGES: Record<number, string> = {
  400: 'Something went wrong while processing your request.',
  401: 'Missing or invalid authentication.',
  403: 'You are not allowed to perform this request.',
  404: "The requested resource wasn't found.",
  408: 'The request body took too long to arrive.',
  409: 'The request conflicts with the current state.',
  413: 'Request entity too large.',
  415: 'Unsupported media type.',
  429: 'Too Many Requests.',
  500: 'Something went wrong while processing your request.',
  501: 'Not implemented in Basalt yet.',
  503: 'Service temporarily unavailable.',
  507: 'The server cannot store data right now (insufficient storage).',
}

/** Brands ApiErrors across module copies (hook files importing the compiled package, the server running src). */
const API_ERROR = Symbol.for('basalt.ApiError')

export class ApiError extends Error {
  readonly status: ApiStatus
  readonly data: ErrorData

  static override [Symbol.hasInstance](value: unknown): boolean {
    // Subclasses (e.g. MfaRequiredError) keep the normal prototype check.
    if (this !== ApiError) return Function.prototype[Symbol.hasInstance].call(this, value)
    return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[API_ERROR] === true
  }

  constructor(status: ApiStatus, message?: string, data: ErrorData = {}, options?: { cause?: unknown }) {
    super(sentenize(message || DEFAULT_MESSAGES[status] || DEFAULT_MESSAGES[400]), options)
    this.name = 'ApiError'
    this.status = status
    this.data = data
    Object.defineProperty(this, API_ERROR, { value: true })
  }

  toJSON() {
    return { status: this.status, message: this.message, data: this.data }
  }
}

/** PocketBase upper-cases the first letter and ends messages with a period. */
export function sentenize(text: string): string {
  const t = text.trim()
  if (!t) return t
  const first = t[0].toUpperCase() + t.slice(1)
  return /[.!?]$/.test(first) ? first : first + '.'
}

export const badRequest = (message?: string, data: ErrorData = {}, cause?: unknown) =>
  new ApiError(400, message, data, { cause })
export const unauthorized = (message?: string) => new ApiError(401, message)
export const forbidden = (message?: string) => new ApiError(403, message)
export const notFound = (message?: string) => new ApiError(404, message)
export const tooLarge = (message?: string) => new ApiError(413, message)

export const superusersOnly = () => forbidden('Only superusers can perform this action.')

export function fieldError(code: string, message: string, params?: Record<string, unknown>): FieldError {
  return params ? { code, message, params } : { code, message }
}

export function hasErrors(data: ErrorData): boolean {
  return Object.keys(data).length > 0
}
