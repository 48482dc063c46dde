/**
 * The report's schema in JSON Type Definition (RFC 8927), checked against the `Report` type by the compiler: a field
 * added to, or changed in, `src/types.ts` must be added or changed here too. Objects may carry fields this version
 * does not know.
 */
import type { JTDSchemaType } from 'ajv/dist/jtd.js'
import {
  BYTE_RULE_IDS,
  RULE_IDS,
  type Delta,
  type DirectoryBytes,
  type FactInstruction,
  type Finding,
  type ImageStore,
  type PackageManager,
  type PackageChangeGroup,
  type PolicyViolation,
  type Report,
  type VariantStatus
} from '../types.js'

/** A report as read from a file: its version is checked apart, before the rest. */
export type ReportDocument = Omit<Report, 'schemaVersion' | 'baseReport'> & {
  schemaVersion: number
  baseReport?: ReportDocument
}

type Definitions = {
  report: ReportDocument
  finding: Finding
  delta: Delta
  violation: PolicyViolation
  status: VariantStatus
  directory: DirectoryBytes
  instruction: FactInstruction
  packageGroup: PackageChangeGroup
}

const NUMBER = { type: 'float64' } as const
const STRING = { type: 'string' } as const
const BOOLEAN = { type: 'boolean' } as const
const STRINGS = { elements: STRING }
const OPEN = { additionalProperties: true } as const
const STORES: ImageStore[] = ['overlay2', 'containerd']
const MANAGERS: PackageManager[] = ['dpkg', 'apk', 'python', 'conda']

export const REPORT_SCHEMA: JTDSchemaType<ReportDocument, Definitions> = {
  definitions: {
    status: { enum: ['built', 'failed', 'skipped'] },
    instruction: {
      properties: { line: NUMBER, keyword: STRING },
      optionalProperties: { layer: NUMBER, text: STRING },
      ...OPEN
    },
    packageGroup: {
      properties: {
        count: NUMBER,
        delta: NUMBER,
        largest: {
          elements: {
            properties: { manager: { enum: MANAGERS }, name: STRING, delta: NUMBER },
            optionalProperties: { prefix: STRING, before: STRING, after: STRING },
            ...OPEN
          }
        }
      },
      ...OPEN
    },
    directory: {
      properties: { path: STRING, bytes: NUMBER },
      optionalProperties: { writer: { ref: 'instruction' } },
      ...OPEN
    },
    delta: {
      properties: { before: NUMBER, after: NUMBER, delta: NUMBER, percent: { ...NUMBER, nullable: true } },
      ...OPEN
    },
    finding: {
      properties: {
        rule: { enum: [...RULE_IDS] },
        severity: { enum: ['info', 'warning', 'error'] },
        file: STRING,
        line: NUMBER,
        message: STRING,
        fix: STRING,
        evidence: { enum: ['static', 'image'] }
      },
      optionalProperties: {
        lines: { elements: NUMBER },
        layer: NUMBER,
        layers: { elements: NUMBER },
        bytes: NUMBER,
        compressedBytes: NUMBER,
        suppressed: {
          properties: { by: { enum: ['comment', 'config'] } },
          optionalProperties: { reason: STRING },
          ...OPEN
        }
      },
      ...OPEN
    },
    violation: {
      properties: { limit: STRING, message: STRING },
      optionalProperties: {
        variant: STRING,
        file: STRING,
        line: NUMBER,
        rule: { enum: [...RULE_IDS] },
        inherited: BOOLEAN
      },
      ...OPEN
    },
    report: {
      properties: {
        schemaVersion: NUMBER,
        tool: { properties: { name: { enum: ['slimcheck'] }, version: STRING }, ...OPEN },
        createdAt: STRING,
        problems: STRINGS,
        variants: {
          elements: {
            properties: {
              name: STRING,
              dockerfile: STRING,
              context: STRING,
              buildArgNames: STRINGS,
              status: { ref: 'status' },
              findings: { elements: { ref: 'finding' } }
            },
            optionalProperties: {
              target: STRING,
              platform: STRING,
              image: {
                properties: {
                  id: STRING,
                  sizeBytes: NUMBER,
                  sizeSource: STRING,
                  compressedBytes: NUMBER,
                  compressedSource: STRING,
                  engineReported: { properties: { sizeBytes: NUMBER, source: STRING }, ...OPEN },
                  store: { enum: STORES },
                  platform: STRING,
                  layers: {
                    elements: {
                      properties: { sizeBytes: NUMBER, createdBy: STRING },
                      optionalProperties: {
                        compressedBytes: NUMBER,
                        diffId: STRING,
                        instruction: { properties: { line: NUMBER, text: STRING }, ...OPEN }
                      },
                      ...OPEN
                    }
                  }
                },
                optionalProperties: {
                  conda: {
                    properties: {
                      prefixes: { elements: { properties: { path: STRING, sizeBytes: NUMBER }, ...OPEN } },
                      commandsOnPath: STRINGS,
                      envNames: STRINGS
                    },
                    ...OPEN
                  },
                  byteFacts: {
                    elements: {
                      properties: {
                        rule: { enum: [...BYTE_RULE_IDS] },
                        kind: STRING,
                        bytes: NUMBER,
                        compressedBytes: NUMBER
                      },
                      optionalProperties: {
                        path: STRING,
                        writer: { ref: 'instruction' },
                        remover: { ref: 'instruction' },
                        removal: { enum: ['deleted', 'overwritten', 'deleted or overwritten'] },
                        packages: { elements: { properties: { name: STRING, bytes: NUMBER }, ...OPEN } },
                        packageCount: NUMBER
                      },
                      ...OPEN
                    }
                  },
                  contents: {
                    properties: {
                      packages: {
                        elements: {
                          properties: {
                            manager: { enum: MANAGERS },
                            name: STRING,
                            version: STRING,
                            bytes: NUMBER
                          },
                          optionalProperties: { prefix: STRING },
                          ...OPEN
                        }
                      },
                      directories: { elements: { ref: 'directory' } }
                    },
                    optionalProperties: {
                      directoriesOmittedBelow: NUMBER,
                      packageSources: { elements: { enum: MANAGERS } }
                    },
                    ...OPEN
                  }
                },
                ...OPEN
              },
              build: {
                properties: {
                  seconds: NUMBER,
                  samples: { elements: NUMBER },
                  cache: { enum: ['cold', 'warm'] },
                  method: STRING
                },
                optionalProperties: {
                  steps: {
                    elements: {
                      properties: { name: STRING, seconds: NUMBER, cached: BOOLEAN },
                      optionalProperties: { line: NUMBER },
                      ...OPEN
                    }
                  }
                },
                ...OPEN
              },
              failure: {
                properties: { message: STRING, logTail: STRINGS },
                optionalProperties: { kind: { enum: ['build', 'unmeasured'] }, step: STRING },
                ...OPEN
              },
              condaBytes: NUMBER,
              fingerprint: { optionalProperties: { digest: STRING, unfingerprintable: STRING }, ...OPEN },
              reused: {
                properties: { kind: { enum: ['shared', 'carried'] } },
                optionalProperties: { commit: STRING, runId: NUMBER },
                ...OPEN
              }
            },
            ...OPEN
          }
        }
      },
      optionalProperties: {
        commit: STRING,
        engine: { properties: { version: STRING, store: { enum: STORES }, os: STRING, arch: STRING }, ...OPEN },
        pulls: {
          elements: {
            properties: { image: STRING, bytes: NUMBER, seconds: NUMBER },
            optionalProperties: { platform: STRING, digest: STRING },
            ...OPEN
          }
        },
        comparison: {
          properties: {
            baseline: {
              properties: { source: { enum: ['build', 'artifact', 'report', 'none'] } },
              optionalProperties: {
                commit: STRING,
                runId: NUMBER,
                runUrl: STRING,
                note: STRING,
                unavailable: STRING,
                optedOut: BOOLEAN
              },
              ...OPEN
            },
            variants: {
              elements: {
                properties: {
                  name: STRING,
                  kind: { enum: ['changed', 'unchanged', 'added', 'removed', 'failed'] },
                  findings: {
                    properties: {
                      added: { elements: { ref: 'finding' } },
                      fixed: { elements: { ref: 'finding' } },
                      unchanged: { elements: { ref: 'finding' } }
                    },
                    optionalProperties: { suppressed: { elements: { ref: 'finding' } } },
                    ...OPEN
                  }
                },
                optionalProperties: {
                  baseStatus: { ref: 'status' },
                  headStatus: { ref: 'status' },
                  baseFailure: { enum: ['build', 'unmeasured'] },
                  headFailure: { enum: ['build', 'unmeasured'] },
                  size: { ref: 'delta' },
                  compressed: { ref: 'delta' },
                  time: {
                    properties: {
                      before: NUMBER,
                      after: NUMBER,
                      delta: NUMBER,
                      percent: { ...NUMBER, nullable: true },
                      noise: BOOLEAN,
                      beforeRange: { properties: { min: NUMBER, max: NUMBER }, ...OPEN },
                      afterRange: { properties: { min: NUMBER, max: NUMBER }, ...OPEN },
                      runs: { properties: { before: NUMBER, after: NUMBER }, ...OPEN }
                    },
                    ...OPEN
                  },
                  layers: {
                    properties: {
                      before: NUMBER,
                      after: NUMBER,
                      delta: NUMBER,
                      changes: {
                        elements: {
                          properties: { instruction: STRING, before: NUMBER, after: NUMBER, delta: NUMBER },
                          optionalProperties: { beforeInstruction: STRING, line: NUMBER },
                          ...OPEN
                        }
                      }
                    },
                    ...OPEN
                  },
                  contents: {
                    properties: {
                      directories: {
                        elements: {
                          properties: { path: STRING, before: NUMBER, after: NUMBER, delta: NUMBER },
                          optionalProperties: { writer: { ref: 'instruction' } },
                          ...OPEN
                        }
                      }
                    },
                    optionalProperties: {
                      packages: {
                        properties: {
                          added: { ref: 'packageGroup' },
                          removed: { ref: 'packageGroup' },
                          changed: { ref: 'packageGroup' }
                        },
                        ...OPEN
                      }
                    },
                    ...OPEN
                  }
                },
                ...OPEN
              }
            },
            violations: { elements: { ref: 'violation' } },
            inherited: { elements: { ref: 'violation' } }
          },
          optionalProperties: { totalSize: { ref: 'delta' }, notChecked: STRINGS },
          ...OPEN
        },
        shard: { properties: { index: NUMBER, total: NUMBER, variants: STRINGS }, ...OPEN },
        baseReport: { ref: 'report' }
      },
      ...OPEN
    }
  },
  ref: 'report'
}
