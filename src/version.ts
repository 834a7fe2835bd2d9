/** The SDK version, recorded in the config fingerprint and (later) in every audit event. */
export const VERSION = '0.1.0';
