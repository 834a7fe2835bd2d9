/** The SDK version, recorded in the config fingerprint and in every audit event (`system.sdk`). */
export const VERSION = '0.1.0';
