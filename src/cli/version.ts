// The version each host records in the fleet's registry (package.json's).
export const VERSION = '0.1.0';
