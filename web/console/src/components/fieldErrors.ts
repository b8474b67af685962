// The API's field errors ({errors: {field: [...]}} or, from argument parsing, {errors: {json:
// {field: [...]}}}) as one text per field, to show next to the form's fields.
export function fieldErrors(error: unknown): Record<string, string> {
  const errors = ((error ?? {}) as { errors?: Record<string, unknown> }).errors ?? {}
  const fields = (errors.json && typeof errors.json === 'object' ? errors.json : errors) as Record<string, unknown>
  return Object.fromEntries(
    Object.entries(fields).map(([key, value]) => [key, Array.isArray(value) ? value.join('；') : String(value)]),
  )
}
