// The result shape every function of both packages (roster analysis and credentials) shares.
/** Why a call failed: an error kind (see `errorKinds()`) or, for values, a finding code. */
export interface Problem {
  code: string;
  message: string;
  help?: string;
  attribute?: string;
  value?: string;
}

export type Failure = { type: "failure"; errors: Problem[] };
