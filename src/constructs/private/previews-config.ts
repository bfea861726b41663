import { keysOf } from '../../runtime/core/config-keys';
import { PREVIEW_DEFAULTS } from '../../runtime/core/previews';
import { PreviewsConfig } from '../../runtime/core/types';
import { PreviewOptions } from '../preview-options';

/** The keys PreviewOptions has (unknown keys are refused, with the closest as a suggestion). */
export const PREVIEW_OPTION_KEYS = keysOf<PreviewOptions>({ from: true, forks: true, maxConcurrent: true });

/** The configuration core reads (the build roles are added by TrellisPipeline). */
export function previewsConfig(options: PreviewOptions): PreviewsConfig {
  return {
    from: options.from,
    forks: options.forks ?? PREVIEW_DEFAULTS.forks,
    maxConcurrent: options.maxConcurrent ?? PREVIEW_DEFAULTS.maxConcurrent,
  };
}
