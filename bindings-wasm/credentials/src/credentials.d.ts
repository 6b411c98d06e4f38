/** A credential: a JSON-LD document (Open Badges 3.0 / W3C VC 2.0), signed or to be signed. */
export type Credential = Record<string, unknown>;

/** What a verification checks, in this order. */
export type CheckKind = "shape" | "proof" | "issuer" | "dates" | "status";
/** How a check came out: `skipped` when it could not be made (no status list given). */
export type CheckOutcome = "passed" | "failed" | "skipped";

/** One check and why it came out as it did. */
export interface Check {
  check: CheckKind;
  outcome: CheckOutcome;
  reason: string;
}

/** Everything a verification found: the JSON the CLI's `verify --json` prints. */
export interface Verification {
  /** Whether no check failed. */
  valid: boolean;
  checks: Check[];
}

export interface VerifyOptions {
  /** The issuer's `BitstringStatusListCredential` the credential's status points at; without it the status check is skipped. */
  statusList?: Credential | string | null;
  /** The moment the dates are checked against; the current time by default. */
  now?: Date | string | null;
}

/** The file an issuer keeps its key in, as `conferral key new` writes it (`seed_base64url` is the secret). */
export interface KeyFile {
  type: "Ed25519";
  did: string;
  public_key_multibase: string;
  seed_base64url: string;
}

export type VerifyResult = { type: "success"; verification: Verification } | Failure;
export type KeyDidResult = { type: "success"; did: string } | Failure;
export type KeyResult = { type: "success"; keyFile: KeyFile; did: string } | Failure;
export type SignResult = { type: "success"; credential: Credential } | Failure;
