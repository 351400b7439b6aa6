export {
  checkMasterKeyStrength,
  loadConfig,
  type AppConfig,
  type LogLevel,
  type RunMode,
} from './config.js';
export { ConfigError, isLoopbackHost } from './load.js';
export { SETTINGS, type SettingDefinition, type SettingName } from './settings.js';
