/** The one spelling of an email Gatehouse stores and looks up: trimmed, NFC, lower-case. */
export function normalizeEmail(email: string): string {
  return email.trim().normalize('NFC').toLowerCase();
}
