import pkg from '../../package.json' with { type: 'json' };

/** The product version shown by /health and the OpenAPI document. */
export const VERSION: string = process.env.HUB_VERSION ?? pkg.version;
