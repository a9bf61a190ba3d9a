/** The output formats `check` offers (one writer each). Kept apart from the writers so the CLI can list them without loading any. */
export const REPORT_FORMATS = ['table', 'json', 'sarif', 'junit', 'markdown'] as const;
export type ReportFormat = (typeof REPORT_FORMATS)[number];
