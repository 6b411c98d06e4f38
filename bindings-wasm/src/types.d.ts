/** A field type of an attribute. */
export type AttributeType = "text" | "email" | "date" | "number" | "integer" | "url" | "enum" | "boolean";

/** One attribute of a group: a standard one (name, email, issued_on, expires_on, credential_id) overridden, or a custom one. */
export interface Attribute {
  key: string;
  label?: string;
  type?: AttributeType;
  required?: boolean;
  aliases?: string[];
  values?: string[];
  date_format?: string;
  max_length?: number;
  hint?: string;
}

/** The email sent when a credential is published (minijinja templates). */
export interface EmailTemplates {
  subject?: string;
  html?: string;
  text?: string;
}

/** A group of credentials issued together: the CLI's group file. */
export interface Group {
  name: string;
  key?: string;
  attributes?: Attribute[];
  duplicates?: "deny" | "allow" | "replace";
  email?: EmailTemplates;
  /** The issuer its signed credentials name (an Open Badges `Profile`). */
  issuer?: { name?: string; url?: string; email?: string; image?: string; description?: string };
  /** What its signed credentials attest (an Open Badges `Achievement`). */
  achievement?: { name?: string; description?: string; criteria?: string; image?: string; type?: string };
  /** Its certificate design: an SVG template with merge fields. */
  design?: { svg: string };
  /** How long its credentials are valid when published without an expiry date. */
  validity?: { years?: number; months?: number; days?: number };
  /** Follow-up emails: each off until named; a part left out uses the library's wording. */
  notices?: {
    revoked?: NoticeTemplates;
    expiring?: NoticeTemplates & { days_before: number };
    expired?: NoticeTemplates;
    reminder?: NoticeTemplates & { after_days: number; max?: number };
  };
}

/** A notice's templates; they may also use `notice.reason` and `notice.days_left`. */
export interface NoticeTemplates {
  subject?: string;
  html?: string;
  text?: string;
}

/** Column assignments to confirm, reassign (`attribute`) or skip (`attribute: null`). */
export interface Mapping {
  columns: { column: string; attribute: string | null }[];
}

/** Progress of an analysis. */
export interface Progress {
  stage: "reading" | "matching" | "validating" | "finishing";
  rows: number;
  bytes: number;
  totalBytes: number;
}

export interface AnalyzeOptions {
  /** The sheet to read (workbooks); by default the first visible one holding the roster. */
  sheet?: string | null;
  /** The 1-based header row; detected when absent. */
  headerRow?: number | null;
  /** Columns confirmed, reassigned or skipped; other columns are matched automatically. */
  mapping?: Mapping | string | null;
  /**
   * The valid rows' values: `true` (the default) in `report.records`; `"handle"` as the
   * result's `records`, a `Records` held in WebAssembly memory (the report then has none);
   * `false`, none.
   */
  records?: boolean | "handle";
  /** How many first data rows to return as they read (at most 200), for a preview grid. */
  preview?: number;
  /** Called now and then; throwing from it stops the analysis and the exception is rethrown. */
  progress?: (progress: Progress) => void;
  /** Whether the result carries every data row as it reads (`rows`), for a grid to page through. */
  rows?: boolean;
}

export type SourceFormat = "csv" | "xlsx" | "xlsm" | "xls" | "xlsb" | "ods";
export type Tier = "exact" | "saved" | "alias" | "fuzzy" | "content" | "user" | "none";
export type Severity = "error" | "warning";

export interface SheetInfo {
  name: string;
  visible: boolean;
  worksheet: boolean;
}

/** How the file was read. */
export interface Source {
  format: SourceFormat;
  encoding?: "UTF-8" | "UTF-16LE" | "UTF-16BE" | "windows-1252";
  bom?: boolean;
  delimiter?: string;
  line_ending?: "crlf" | "lf" | "cr" | "none";
  sheet?: string;
  sheets?: SheetInfo[];
  header_row: number;
  header_row_detected: boolean;
  skipped_rows?: number[];
  /** When the sheet holds several tables: each one's header row, last row and data rows. */
  tables?: { header_row: number; last_row: number | null; rows: number }[];
}

export interface Alternative {
  attribute: string;
  score: number;
  tier: Tier;
}

/** How one column matched an attribute. */
export interface ColumnMatch {
  index: number;
  letter: string;
  header: string;
  attribute: string | null;
  tier: Tier;
  score: number;
  alternatives: Alternative[];
  uncertain?: string;
  /** Matched by a header naming its attribute, though the sampled values do not look like it. */
  values_unlike?: string;
}

/** Something found in a roster; `code` is stable, `cell` is like `C7`. */
export interface Finding {
  code: string;
  severity: Severity;
  row: number | null;
  column: string | null;
  cell: string | null;
  attribute: string | null;
  value?: string;
  message: string;
  help: string;
}

export interface Summary {
  rows: number;
  valid: number;
  invalid: number;
  warnings: number;
  errors: number;
}

/** A valid row's normalised values (dates as `YYYY-MM-DD`). */
export interface RosterRecord {
  row: number;
  values: Record<string, string | number | boolean>;
}

/** One value of a record as `Records.column` gives it: `null` where a record has none. */
export type RecordValue = string | number | boolean | null;

/** A data row as it reads in the file. */
export interface PreviewRow {
  row: number;
  cells: string[];
}

/** A suggested fix's stable code. */
export type FixCode =
  | "swap_day_month"
  | "split_name"
  | "join_name"
  | "collapse_blanks"
  | "email_domain_typo"
  | "enum_case"
  | "drop_duplicate_rows";

/** One change of a fix: a cell's text before and after, or (`cell` null) a row removed as a repeat of `duplicate_of`. */
export interface FixChange {
  row: number;
  column: string | null;
  cell: string | null;
  before: string | null;
  after: string | null;
  duplicate_of?: number;
}

/** A fix the analysis suggests; nothing is applied until `applyFixes` is asked to. */
export interface Fix {
  code: FixCode;
  attribute: string | null;
  column: string | null;
  /** What the fix does and why, in plain words. */
  message: string;
  /** Cells changed (rows removed for `drop_duplicate_rows`). */
  count: number;
  /** The changes in row order, the first 1,000 when there are more. */
  changes: FixChange[];
}

/** The analysis of a roster: the JSON the CLI's `analyze --json` prints. */
export interface Report {
  source: Source;
  columns: ColumnMatch[];
  mapping: Mapping;
  summary: Summary;
  findings: Finding[];
  /** The suggested fixes, by code then column; absent when there are none. */
  fixes?: Fix[];
  records?: RosterRecord[];
  preview?: PreviewRow[];
}

/**
 * With the option `rows`, `rows` holds every data row; with `records: "handle"`, `records`
 * holds the valid rows' values and `report.records` is absent (`free()` each when done).
 */
export type AnalyzeResult = { type: "success"; report: Report; rows?: Rows; records?: Records } | Failure;

export interface ApplyFixesOptions {
  /** The sheet to read (workbooks), as for `analyze`. */
  sheet?: string | null;
  /** The 1-based header row, as for `analyze`. */
  headerRow?: number | null;
  /** Column assignments, as for `analyze`. */
  mapping?: Mapping | string | null;
  /** The corrected roster's format (default `"csv"`). */
  format?: "csv" | "xlsx";
  /** Called now and then; throwing from it stops the work and the exception is rethrown. */
  progress?: (progress: Progress) => void;
  /** Cells written anew by a person, made after the fixes (a later edit of a cell wins). */
  edits?: CellEdit[];
}

/** A cell written anew: its row and column letter in the roster as given, and its text. */
export interface CellEdit {
  row: number;
  column: string;
  text: string;
}

/** A change made to the corrected roster, and what made it: a fix's code or `"edit"`. */
export type ChangeMade = FixChange & { by: FixCode | "edit" };

/** The corrected roster as a file, the analysis of the roster as given, and what changed. */
export type ApplyFixesResult =
  | {
      type: "success";
      bytes: Uint8Array;
      fileName: string;
      mimeType: string;
      report: Report;
      /** The chosen fixes' listed changes, then the edits that changed a cell (rows of the roster as given). */
      changes: ChangeMade[];
      /** For each data row of the file in order (its rows 2, 3, …), its row in the roster as given. */
      sourceRows: Float64Array;
      /** Rows edited that a chosen fix removed: their edits changed nothing. */
      leftOut: number[];
    }
  | Failure;
export type FileResult = { type: "success"; bytes: Uint8Array; fileName: string; mimeType: string } | Failure;

/** A rendered email. */
export interface RenderedEmail {
  to_name: string;
  to_email: string;
  subject: string;
  html: string;
  text: string;
}

export interface RenderEmailOptions {
  /** Where credentials live: links are `baseUrl/<id>`. */
  baseUrl?: string;
  /** Render this follow-up email of the group instead of the one announcing a credential. */
  notice?: "revoked" | "expiring" | "expired" | "reminder";
  /** `notice.reason`: why the credential was revoked. */
  reason?: string;
  /** `notice.days_left`: days until the expiry date. */
  daysLeft?: number;
}

export type RenderEmailResult = { type: "success"; email: RenderedEmail; findings: Finding[] } | Failure;
/** An attribute a column can fill, as the library reads the group. */
export interface AttributeInfo {
  key: string;
  label: string;
  type: AttributeType;
  required: boolean;
  standard: boolean;
  /** The accepted values of an enum (empty otherwise). */
  values: string[];
}

/** A field of the group's signed credentials left to a default, and how to set it. */
export type GroupWarning = {
  code: "issuer_name_missing" | "issuer_url_missing" | "achievement_description_missing" | "achievement_criteria_missing";
  field: string;
  message: string;
};
export type ValidateGroupResult = { type: "success"; group: Group; key: string; attributes: AttributeInfo[]; warnings: GroupWarning[] } | Failure;
