/** What every probe of one port reports, before its protocol's details. */
export interface PortResultBase {
  port: number;
  /**
   * closed: refused; filtered: no answer before the timeout; error: reset,
   * garbage, oversized or otherwise broken exchange; not-dicom / not-http /
   * not-hl7: something else answers; the protocol name: it speaks it.
   */
  status: 'dicom' | 'http' | 'hl7' | 'open' | 'closed' | 'filtered' | 'unreachable' | 'error' | 'not-dicom' | 'not-http' | 'not-hl7';
  detail?: string;
}

/** Shared by the protocol probes of one run. */
export interface ProbeContext {
  timeoutMs: number;
  intrusive: boolean;
  /** C-FIND stops counting (and aborts) after this many matches. */
  findCap: number;
  /** Waits for a connection slot under the run's rate limit. */
  gate(): Promise<void>;
}
