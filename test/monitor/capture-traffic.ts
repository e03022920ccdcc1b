/**
 * The traffic the interface-capture tests (monitor and sensor) send across
 * their veth: a DICOM C-ECHO and one HL7 order over MLLP, which a
 * "tcp port 104 or tcp port 2575" filter lets through, and a UDP datagram it
 * must keep out. The PID segment's "TESTMRN" is the patient field that must
 * never reach a store or a batch.
 */
import assert from 'node:assert/strict';
import type { Host } from '../helpers/netns.ts';
import { sleep } from './harness.ts';

export const HL7_ORDER = 'MSH|^~\\&|RIS_APP|RAD|PACS_HL7|RAD|20261128140000||ORM^O01^ORM_O01|C0001|P|2.5.1\rPID|1||TESTMRN\r';

/** From `from` to the storescp and MLLP peers at `pacsIp`; waits until the capture tool has handed the packets over. */
export async function sendClinicalTraffic(from: Host, pacsIp: string): Promise<void> {
  const echo = await from.exec('echoscu', ['-aet', 'CT_SCANNER01', '-aec', 'PACS_MAIN', pacsIp, '104']);
  assert.equal(echo.code, 0, echo.stderr);
  const ack = await from.exec('socat', ['-t', '2', '-', `TCP:${pacsIp}:2575`], { input: `\x0b${HL7_ORDER}\x1c\r` });
  assert.match(ack.stdout, /MSA\|AA\|C0001/);
  // Outside the filter: a UDP datagram that must not get through.
  const udp = await from.exec('socat', ['-u', '-', `UDP:${pacsIp}:9999`], { input: 'outside the capture filter\n' });
  assert.equal(udp.code, 0, udp.stderr);
  // dumpcap hands packets over in blocks (~250 ms); give the last ones time to land.
  await sleep(1500);
}
