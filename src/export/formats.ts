/** The formats `driftscan export` writes. Kept apart from the dumper so the CLI can list them without loading the hive reader. */
export const EXPORT_FORMATS = ['reg', 'json'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];
