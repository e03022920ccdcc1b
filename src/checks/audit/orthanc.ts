import { member, type JEntry, type JNode, type JPos } from './jsonc.ts';

/**
 * An Orthanc configuration as the audit sees it: the parsed tree, and each
 * setting's effective value (explicit, or Orthanc's built-in default) with the
 * place to point at.
 */
export interface OrthancSetting {
  value: unknown;
  explicit: boolean;
  pos: JPos;
  entry?: JEntry;
}

/** Orthanc 1.10+ built-in defaults for the keys the rules read. */
export const ORTHANC_DEFAULTS: Record<string, unknown> = {
  RemoteAccessAllowed: false,
  SslEnabled: false,
  SslMinimumProtocolVersion: 4,
  DicomServerEnabled: true,
  HttpServerEnabled: true,
  DicomTlsEnabled: false,
  DicomAlwaysAllowEcho: true,
  DicomAlwaysAllowStore: true,
  DicomAlwaysAllowFind: false,
  DicomAlwaysAllowFindWorklist: false,
  DicomAlwaysAllowGet: false,
  DicomAlwaysAllowMove: false,
  DicomCheckCalledAet: false,
  DicomCheckModalityHost: false,
  UnknownSopClassAccepted: false,
  ExecuteLuaEnabled: false,
  RestApiWriteToFileSystemEnabled: false,
  HttpsVerifyPeers: true,
  WebDavEnabled: true,
  WebDavUploadAllowed: true,
  LimitFindResults: 0,
  LimitFindInstances: 0,
  RegisteredUsers: {},
};

/** Keys that mark a file as a whole Orthanc configuration rather than a fragment (e.g. modalities.json). */
const MAIN_KEYS = ['Name', 'DicomAet', 'DicomPort', 'HttpPort', 'RemoteAccessAllowed', 'StorageDirectory', 'AuthenticationEnabled', 'HttpServerEnabled'];

export class OrthancConfig {
  readonly root: JNode;
  /** A fragment gets no defaults: Orthanc merges all files of a folder, so only explicit values count. */
  readonly whole: boolean;

  constructor(root: JNode) {
    this.root = root;
    this.whole = MAIN_KEYS.some((k) => member(root, k) !== undefined);
  }

  get(key: string): OrthancSetting | undefined {
    const e = member(this.root, key);
    if (e) return { value: plainScalar(e.value), explicit: true, pos: e.keyPos, entry: e };
    if (!this.whole || !(key in ORTHANC_DEFAULTS)) return undefined;
    return { value: ORTHANC_DEFAULTS[key], explicit: false, pos: { line: this.root.line, column: this.root.column } };
  }

  bool(key: string): boolean | undefined {
    const v = this.get(key)?.value;
    return typeof v === 'boolean' ? v : undefined;
  }

  /** Orthanc 1.5.8+: when AuthenticationEnabled is absent it equals RemoteAccessAllowed. */
  authenticationEnabled(): { value: boolean; explicit: boolean } {
    const a = this.get('AuthenticationEnabled');
    if (a && typeof a.value === 'boolean') return { value: a.value, explicit: true };
    return { value: this.bool('RemoteAccessAllowed') === true, explicit: false };
  }
}

function plainScalar(n: JNode): unknown {
  if (n.kind === 'string' || n.kind === 'number' || n.kind === 'boolean') return n.value;
  if (n.kind === 'null') return null;
  return n;
}

export function objectEntries(n: unknown): JEntry[] {
  if (n && typeof n === 'object' && (n as JNode).kind === 'object') return (n as JNode & { kind: 'object' }).entries;
  return [];
}
