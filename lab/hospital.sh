#!/usr/bin/env bash
# St. Brigid General Hospital, built from real software in network namespaces.
#
# usage: lab/hospital.sh up|traffic|capture|down|netflow|all|status|verify [OUT]
#   all      up, capture the traffic plan on the bridge, down, NetFlow export.
#            Writes OUT/hospital.pcap, OUT/hospital-netflow.pcap, OUT/traffic.log
#            and OUT/logs/. Exit 0 only when every step behaved as planned.
#   up       create the namespaces and start the servers (left running)
#   traffic  run the traffic plan against a lab that is 'up' (no capture)
#   capture  capture the traffic plan into OUT/hospital.pcap (after 'up')
#   netflow  softflowd exports OUT/hospital.pcap as NetFlow v9 and IPFIX;
#            the UDP export datagrams are captured into OUT/hospital-netflow.pcap
#   down     stop every process the lab started (by recorded PID), delete its
#            namespaces
#   status   list the lab's processes and namespaces
#   verify   print what tshark sees in OUT/hospital.pcap (the MANIFEST.md numbers)
# OUT defaults to ${TMPDIR:-/tmp}/wardline-lab. Root only (namespaces, port 104).
#
# Every host is a namespace whose eth0 is a veth port of one bridge (br0 in
# its own namespace). Hosts carry their /32 address and an on-link default
# route, so the 10.x, 172.16.x and partner/internet addresses all reach each
# other directly on one L2 segment and a capture on br0 sees every flow.
# Namespace names are prefixed with wl-lab-<hash of OUT>, so two labs with
# different OUT directories can run at the same time.
set -euo pipefail

CMD=${1:-all}
OUT=${2:-${TMPDIR:-/tmp}/wardline-lab}
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(dirname "$HERE")
CONFIGS=$REPO/examples/hospital/configs
RUN=$OUT/run
GEN=$OUT/gen
PY=/usr/bin/python3            # Debian's python3 has hl7 and pydicom; a pyenv shim has not
NSP=wl-lab-$(printf '%s' "$OUT" | md5sum | cut -c1-6)

# name  address  (the agreed address plan of the sample hospital)
HOSTS=(
  ct-scanner-01:10.20.10.11 mr-scanner-01:10.20.10.12 us-cart-03:10.20.10.13
  pacs-main:10.20.20.10 vna-archive:10.20.20.11 ris-01:10.20.20.12
  emr-core-01:10.30.10.10 interface-engine:10.30.20.10 billing-gateway:10.30.30.10
  pharmacy-system:10.40.10.10 monitoring-gateway:10.50.10.10 lis-01:10.70.10.10
  radiology-ws-07:10.80.1.17 compromised-ws:10.80.2.66
  pacs-web-viewer:172.16.10.20 kiosk-lobby-01:172.16.10.30 patient-portal:172.16.10.40
  dns-resolver:10.99.0.53
  clearinghouse:198.51.100.20 insurer:203.0.113.10 internet-client:203.0.113.77
)
declare -A IP=()
for h in "${HOSTS[@]}"; do IP[${h%%:*}]=${h#*:}; done

log() { printf '[lab %(%H:%M:%S)T] %s\n' -1 "$*"; }
die() { log "ERROR: $*"; exit 1; }

ns() { echo "$NSP-$1"; }
nsx() { local h=$1; shift; ip netns exec "$(ns "$h")" "$@"; }

# A stable MAC per host, derived from its address: 02:00:a.b.c.d in hex.
mac_of() { local IFS=.; set -- $1; printf '02:00:%02x:%02x:%02x:%02x' "$1" "$2" "$3" "$4"; }

# --- process bookkeeping: RUN/pids/NAME.pid + NAME.comm ----------------------
start_bg() {  # NAME HOST CWD CMD...
  local name=$1 host=$2 cwd=$3; shift 3
  (cd "$cwd" && exec ip netns exec "$(ns "$host")" "$@") >"$RUN/logs/$name.log" 2>&1 </dev/null &
  local pid=$!
  echo "$pid" >"$RUN/pids/$name.pid"
  # 'ip netns exec' execs in place, so the PID ends up being the server itself;
  # remember its expected comm so that a recycled PID is never signalled.
  basename "$1" | cut -c1-15 >"$RUN/pids/$name.comm"
}
alive() { local st; st=$(ps -o stat= -p "$1" 2>/dev/null) || return 1; [[ -n $st && $st != Z* ]]; }
stop_bg() {  # NAME [SIGNAL]
  local name=$1 sig=${2:-TERM} pf=$RUN/pids/$1.pid
  [[ -f $pf ]] || return 0
  local pid comm want kids
  pid=$(<"$pf"); want=$(<"$RUN/pids/$name.comm")
  comm=$(cat "/proc/$pid/comm" 2>/dev/null || true)
  if alive "$pid" && [[ $comm == "$want" ]]; then
    kids=$(ps -o pid= --ppid "$pid" 2>/dev/null || true)   # dcmqrscp forks per association
    kill "-$sig" "$pid" 2>/dev/null || true
    for _ in $(seq 50); do alive "$pid" || break; sleep 0.1; done
    alive "$pid" && { log "$name ($pid) ignored SIG$sig: KILL"; kill -KILL "$pid" 2>/dev/null || true; }
    wait "$pid" 2>/dev/null || true
    local k; for k in $kids; do alive "$k" && kill -TERM "$k" 2>/dev/null || true; done
  fi
  rm -f "$pf" "$RUN/pids/$name.comm"
}
wait_listen() {  # HOST PORT [tcp|udp]; 'ss' looks at sockets without sending a probe
  local flag=-Hltn; [[ ${3:-tcp} == udp ]] && flag=-Hlun
  for _ in $(seq 200); do
    nsx "$1" ss $flag "sport = :$2" 2>/dev/null | grep -q . && return 0
    sleep 0.1
  done
  die "nothing listens on $1:$2 (logs in $RUN/logs)"
}

# --- network -----------------------------------------------------------------
net_up() {
  local sw; sw=$(ns sw)
  ip netns add "$sw"
  ip netns exec "$sw" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
  ip -n "$sw" link set lo up
  ip -n "$sw" link add br0 type bridge
  ip -n "$sw" link set br0 address 02:00:00:00:00:01
  ip -n "$sw" link set br0 up
  local i=0 h n
  for h in "${HOSTS[@]}"; do
    h=${h%%:*}; n=$(ns "$h"); i=$((i + 1))
    ip netns add "$n"
    # no IPv6: no router solicitations or MLD reports in the capture
    ip netns exec "$n" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
    ip -n "$sw" link add "p$i" type veth peer name eth0 netns "$n"
    ip -n "$n" link set eth0 address "$(mac_of "${IP[$h]}")"
    ip -n "$n" addr add "${IP[$h]}/32" dev eth0
    ip -n "$n" link set lo up
    ip -n "$n" link set eth0 up
    ip -n "$n" route add default dev eth0 scope link
    ip -n "$sw" link set "p$i" master br0 up
    # Offloads off on both ends, or the capture holds 64 KB TSO/GRO
    # super-frames and TCP checksums that were never filled in.
    ip netns exec "$n" ethtool -K eth0 tx off rx off tso off gso off gro off >/dev/null 2>&1 || true
    ip netns exec "$sw" ethtool -K "p$i" tx off rx off tso off gso off gro off >/dev/null 2>&1 || true
  done
}
net_down() {
  local n
  for n in $(ip netns list 2>/dev/null | awk '{print $1}' | grep "^$NSP-" || true); do
    ip netns del "$n" 2>/dev/null || true
  done
}

# --- generated inputs ----------------------------------------------------------
gen_files() {
  rm -rf "$GEN"; mkdir -p "$GEN/dicom"
  "$PY" "$HERE/peers/mkdicom.py" "$GEN/dicom"
  # Self-signed certificates for the portal and the insurer's API (made per
  # run: no private key is kept in the repository).
  local cn
  for cn in portal.stbrigid.example api.insurer.example; do
    openssl req -x509 -newkey rsa:2048 -nodes -days 397 -subj "/O=St Brigid Lab/CN=$cn" \
      -addext "subjectAltName=DNS:$cn" -keyout "$GEN/$cn.key" -out "$GEN/$cn.crt" >/dev/null 2>&1
  done
}

# --- servers -------------------------------------------------------------------
cmd_up() {
  cmd_down quiet
  rm -rf "$OUT/logs"
  mkdir -p "$RUN"/{pids,logs,pacs-main,pacs-web-viewer,vna-archive/vna-db,rad-ws07-in}
  echo "$NSP" >"$RUN/nsp"
  net_up
  gen_files
  cp "$CONFIGS/pacs-main/orthanc.json" "$RUN/pacs-main/orthanc.json"
  cp "$CONFIGS/pacs-web-viewer/orthanc.json" "$RUN/pacs-web-viewer/orthanc.json"
  cp "$CONFIGS/vna-archive/dcmqrscp.cfg" "$RUN/vna-archive/dcmqrscp.cfg"

  start_bg pacs-main pacs-main "$RUN/pacs-main" /usr/sbin/Orthanc "$RUN/pacs-main/orthanc.json"
  start_bg pacs-web-viewer pacs-web-viewer "$RUN/pacs-web-viewer" /usr/sbin/Orthanc "$RUN/pacs-web-viewer/orthanc.json"
  # -dhl everywhere: DCMTK looks up the peer's hostname on accept, and the
  # namespaces have no reachable resolver (a 30 s stall per association).
  # fork-per-association mode: dcmqrscp 3.6.7 crashes in --single-process mode
  start_bg vna-archive vna-archive "$RUN/vna-archive" dcmqrscp -dhl -c dcmqrscp.cfg
  start_bg rad-ws07-storescp radiology-ws-07 "$RUN" storescp -dhl -aet RAD_WS07 -od "$RUN/rad-ws07-in" 11114
  local m
  for m in interface-engine:RHAPSODY:STBRIGID pharmacy-system:PYXIS:PHARM ris-01:RIS:RAD \
           kiosk-lobby-01:KIOSK:LOBBY clearinghouse:CLEARINGHOUSE:EDI; do
    IFS=: read -r h app fac <<<"$m"
    start_bg "mllp-$h" "$h" "$RUN" "$PY" "$HERE/peers/mllp_ack_server.py" "${IP[$h]}" 2575 \
      "$RUN/logs/mllp-$h-messages.log" "$app" "$fac"
  done
  start_bg fhir emr-core-01 "$RUN" "$PY" "$HERE/peers/fhir_server.py" "${IP[emr-core-01]}" 8080
  start_bg dns dns-resolver "$RUN" "$PY" "$HERE/peers/dns_server.py" "${IP[dns-resolver]}" 53 \
    "edi.clearinghouse.example=${IP[clearinghouse]}" "api.insurer.example=${IP[insurer]}" \
    "portal.stbrigid.example=${IP[patient-portal]}" "emr-core-01.stbrigid.local=${IP[emr-core-01]}"
  start_bg portal-tls patient-portal "$RUN" openssl s_server -quiet -www -accept 443 \
    -cert "$GEN/portal.stbrigid.example.crt" -key "$GEN/portal.stbrigid.example.key"
  start_bg insurer-tls insurer "$RUN" openssl s_server -quiet -www -accept 443 \
    -cert "$GEN/api.insurer.example.crt" -key "$GEN/api.insurer.example.key"

  wait_listen pacs-main 104; wait_listen pacs-main 8042
  wait_listen pacs-web-viewer 4242; wait_listen pacs-web-viewer 8042
  wait_listen vna-archive 11112; wait_listen radiology-ws-07 11114
  for h in interface-engine pharmacy-system ris-01 kiosk-lobby-01 clearinghouse; do wait_listen "$h" 2575; done
  wait_listen emr-core-01 8080; wait_listen dns-resolver 53 udp
  wait_listen patient-portal 443; wait_listen insurer 443
  log "lab up: ${#HOSTS[@]} hosts in namespaces $NSP-*"
}

# --- traffic plan ----------------------------------------------------------------
TLOG=""
FAILED=0
run_c() {  # EXPECT(ok|fail|any) HOST CMD... : run a client inside HOST, log, check rc
  local expect=$1 host=$2; shift 2
  local rc=0 t0=$SECONDS
  { echo; echo "### [$host] $*"; } >>"$TLOG"
  nsx "$host" "$@" >>"$TLOG" 2>&1 || rc=$?
  echo "### ${host} took $((SECONDS - t0)) s" >>"$TLOG"
  if [[ $expect == ok && $rc != 0 ]] || [[ $expect == fail && $rc == 0 ]]; then
    FAILED=$((FAILED + 1)); log "UNEXPECTED rc=$rc on $host: $*"
  fi
  echo "### rc=$rc" >>"$TLOG"
}
mllp() {  # FROM TO FILE : one MLLP connection carrying every message of FILE
  run_c ok "$1" mllp_send --loose -f "$HERE/hl7/$3" -p 2575 "${IP[$2]}"
}

cmd_traffic() {
  [[ -f $RUN/nsp ]] || die "the lab is not up (run: $0 up $OUT)"
  TLOG=$OUT/traffic.log; : >"$TLOG"
  local D=$GEN/dicom PACS=${IP[pacs-main]} VNA=${IP[vna-archive]} WEB=${IP[pacs-web-viewer]}
  local ct_study us_study
  ct_study=$(awk -F'\t' '$1=="ct1.dcm"{print $4}' "$D/manifest.tsv")
  us_study=$(awk -F'\t' '$1=="us1.dcm"{print $4}' "$D/manifest.tsv")
  local REST=(curl -sS -f -u radiology:Brigid2024!)

  log "traffic: DNS lookups"
  run_c ok billing-gateway "$PY" "$HERE/peers/dns_query.py" "${IP[dns-resolver]}" edi.clearinghouse.example 4101
  run_c ok patient-portal "$PY" "$HERE/peers/dns_query.py" "${IP[dns-resolver]}" api.insurer.example 4102
  run_c fail kiosk-lobby-01 "$PY" "$HERE/peers/dns_query.py" "${IP[dns-resolver]}" updates.kiosk-vendor.example 4103

  log "traffic: modalities store to pacs-main"
  run_c ok ct-scanner-01 echoscu -aet CT_SCANNER01 -aec PACS_MAIN "$PACS" 104
  run_c ok ct-scanner-01 storescu -aet CT_SCANNER01 -aec PACS_MAIN "$PACS" 104 "$D/ct1.dcm" "$D/ct2.dcm"
  run_c ok mr-scanner-01 storescu -aet MR_SCANNER01 -aec PACS_MAIN "$PACS" 104 "$D/mr1.dcm"
  # outdated DICOM stack: announces DCMTK 3.5.4's implementation class UID
  run_c ok us-cart-03 "$PY" "$HERE/peers/legacy_storescu.py" "$PACS" 104 US_CART03 PACS_MAIN "$D/us1.dcm"

  log "traffic: pacs-main routes studies to the VNA and the DMZ web viewer"
  # triggered on pacs-main's own loopback (an auto-routing rule): only the
  # resulting C-STOREs cross the bridge
  run_c ok pacs-main "${REST[@]}" -o /dev/null -X POST http://127.0.0.1:8042/modalities/VNA/store \
    -d '{"Resources":'"$(nsx pacs-main "${REST[@]}" http://127.0.0.1:8042/studies)"',"Synchronous":true}'
  run_c ok pacs-main "${REST[@]}" -o /dev/null -X POST http://127.0.0.1:8042/modalities/WEB_VIEWER/store \
    -d '{"Resources":'"$(nsx pacs-main "${REST[@]}" http://127.0.0.1:8042/studies)"',"Synchronous":true}'

  log "traffic: radiology workstation queries and retrieves"
  run_c ok radiology-ws-07 findscu -q -S -aet RAD_WS07 -aec PACS_MAIN -k QueryRetrieveLevel=STUDY \
    -k PatientID=MRN0001 -k PatientName -k StudyInstanceUID -k StudyDescription -k AccessionNumber "$PACS" 104
  run_c ok radiology-ws-07 movescu -S -aet RAD_WS07 -aec PACS_MAIN -aem RAD_WS07 \
    -k QueryRetrieveLevel=STUDY -k StudyInstanceUID="$ct_study" "$PACS" 104
  run_c ok radiology-ws-07 findscu -q -S -aet RAD_WS07 -aec VNA_ARCHIVE -k QueryRetrieveLevel=STUDY \
    -k PatientName -k PatientID -k StudyInstanceUID "$VNA" 11112
  run_c ok radiology-ws-07 movescu -S -aet RAD_WS07 -aec VNA_ARCHIVE -aem RAD_WS07 \
    -k QueryRetrieveLevel=STUDY -k StudyInstanceUID="$us_study" "$VNA" 11112
  # a typo in the called AE title: dcmqrscp answers A-ASSOCIATE-RJ
  run_c fail radiology-ws-07 echoscu -aet RAD_WS07 -aec VNA "$VNA" 11112
  run_c ok radiology-ws-07 curl -sS -o /dev/null -w '%{http_code}\n' "http://$PACS:8042/system"   # 401
  run_c ok radiology-ws-07 "${REST[@]}" -o /dev/null "http://$PACS:8042/studies?expand"

  log "traffic: HL7 over MLLP"
  mllp emr-core-01 interface-engine emr-to-engine.hl7
  mllp monitoring-gateway interface-engine monitoring-to-engine.hl7
  mllp lis-01 interface-engine lis-to-engine.hl7
  mllp interface-engine ris-01 engine-to-ris.hl7
  mllp interface-engine pharmacy-system engine-to-pharmacy.hl7
  mllp interface-engine kiosk-lobby-01 engine-to-kiosk.hl7
  mllp billing-gateway clearinghouse billing-to-clearinghouse.hl7

  log "traffic: the lobby kiosk queries pacs-main"
  run_c ok kiosk-lobby-01 findscu -q -S -aet KIOSK_LOBBY01 -aec PACS_MAIN -k QueryRetrieveLevel=STUDY \
    -k PatientName -k PatientID -k StudyDate -k StudyDescription "$PACS" 104

  log "traffic: internet client, DMZ web viewer, portal, FHIR"
  run_c ok internet-client curl -sS -f -o /dev/null "http://$WEB:8042/app/explorer.html"
  run_c ok internet-client curl -sS -f -o /dev/null "http://$WEB:8042/system"
  run_c ok internet-client curl -sS -f -o /dev/null "http://$WEB:8042/patients?expand"
  run_c ok internet-client curl -sS -k -o /dev/null --tlsv1.2 --tls-max 1.2 \
    --resolve "portal.stbrigid.example:443:${IP[patient-portal]}" https://portal.stbrigid.example/
  run_c ok internet-client curl -sS -k -o /dev/null --tlsv1.3 \
    --resolve "portal.stbrigid.example:443:${IP[patient-portal]}" https://portal.stbrigid.example/login
  local EMR=http://${IP[emr-core-01]}:8080/fhir
  run_c ok patient-portal curl -sS -f -o /dev/null -H 'Accept: application/fhir+json' "$EMR/Appointment?date=ge2026-03-20"
  run_c ok patient-portal curl -sS -f -o /dev/null -H 'Accept: application/fhir+json' "$EMR/Patient/MRN0001"
  run_c ok patient-portal curl -sS -f -o /dev/null -H 'Accept: application/fhir+json' "$EMR/Patient/CANARY-7731"
  run_c ok patient-portal curl -sS -k -o /dev/null --tlsv1.2 \
    --resolve "api.insurer.example:443:${IP[insurer]}" https://api.insurer.example/eligibility

  log "traffic: compromised workstation scans the imaging servers"
  run_c ok compromised-ws nmap -n -T4 --max-retries 1 -sS -p 104,4242,8042,11112,2575 10.20.20.0/24
  run_c ok compromised-ws nmap -n -Pn -p 104 --script dicom-ping "$PACS"
  run_c ok compromised-ws nmap -n -Pn -p 11112 --script dicom-ping "$VNA"
  # an unknown AE title asks pacs-main for studies: Orthanc accepts the
  # association (DicomAlwaysAllowEcho/Store) and aborts on the C-FIND
  run_c any compromised-ws findscu -q -S -aet SCANNER -aec PACS_MAIN -k QueryRetrieveLevel=STUDY \
    -k PatientName -k PatientID "$PACS" 104

  if ((FAILED)); then die "$FAILED traffic step(s) did not behave as planned (see $TLOG)"; fi
  log "traffic done"
}

# --- capture -------------------------------------------------------------------
cmd_capture() {
  local f=$OUT/hospital.pcap
  rm -f "$f"
  # -P: classic pcap, Ethernet; -s 0 by default. -B: a 64 MiB kernel buffer,
  # so that a burst (C-STOREs at bridge speed) on a busy machine drops nothing.
  start_bg dumpcap sw "$RUN" dumpcap -q -P -B 64 -i br0 -w "$f"
  for _ in $(seq 100); do [[ -s $f ]] && break; sleep 0.1; done
  [[ -s $f ]] || die "dumpcap did not start (see $RUN/logs/dumpcap.log)"
  sleep 0.5
  local rc=0
  ( cmd_traffic ) || rc=$?
  sleep 1.5    # final FIN/ACKs and releases
  stop_bg dumpcap INT
  chmod 644 "$f"
  [[ $rc == 0 ]] || die "traffic failed"
  # A capture that lost packets does not match the plan: say so, not later as a missing flow.
  local drops
  drops=$(grep -o "received/dropped on interface '[^']*': [0-9]*/[0-9]*" "$RUN/logs/dumpcap.log" | sed 's|.*/||' || true)
  [[ -z $drops || $drops == 0 ]] || die "dumpcap dropped $drops packets (see $RUN/logs/dumpcap.log)"
  log "capture: $f ($(stat -c %s "$f") bytes)"
}

# --- NetFlow -------------------------------------------------------------------
cmd_netflow() {
  local f=$OUT/hospital.pcap nf=$OUT/hospital-netflow.pcap
  [[ -s $f ]] || die "no capture at $f"
  mkdir -p "$RUN"/{pids,logs}
  # The exporter and the capture of its datagrams get a namespace of their
  # own, so the loopback of the machine (and other users of 2055) is untouched.
  local n; n=$(ns nf)
  ip netns add "$n" 2>/dev/null || true
  ip -n "$n" link set lo up
  rm -f "$nf"
  start_bg dumpcap-nf nf "$RUN" dumpcap -q -P -i lo -f "udp dst port 2055 or udp dst port 4739" -w "$nf"
  for _ in $(seq 100); do [[ -s $nf ]] && break; sleep 0.1; done
  sleep 0.5
  # softflowd 1.1.0 -r: -a (v9) / -A milli (IPFIX) or flow times come out
  # 2^32 ms late; never add -c or -p with -r (it then blocks forever).
  nsx nf timeout 60 softflowd -d -r "$f" -n 127.0.0.1:2055 -v 9 -a -T full >"$RUN/logs/softflowd-v9.log" 2>&1 \
    || die "softflowd v9 failed"
  nsx nf timeout 60 softflowd -d -r "$f" -n 127.0.0.1:4739 -v 10 -A milli -T full >"$RUN/logs/softflowd-ipfix.log" 2>&1 \
    || die "softflowd ipfix failed"
  sleep 1
  stop_bg dumpcap-nf INT
  chmod 644 "$nf"
  ip netns del "$n" 2>/dev/null || true
  log "netflow: $nf ($(stat -c %s "$nf") bytes)"
}

# --- verify: what tshark sees (the numbers MANIFEST.md lists) ---------------------
cmd_verify() {
  local f=$OUT/hospital.pcap
  [[ -s $f ]] || die "no capture at $f"
  local T=(tshark -r "$f" -d tcp.port==104,dicom -d tcp.port==11112,dicom -d tcp.port==4242,dicom -d tcp.port==11114,dicom)
  {
    echo "== capinfos"; capinfos -c -s -u "$f" | tail -n +2
    echo "== DICOM A-ASSOCIATE-RQ (count src dst port calling called implementation)"
    "${T[@]}" -Y 'dicom.pdu.type==1' -T fields -e ip.src -e ip.dst -e tcp.dstport -e dicom.assoc.ae.calling \
      -e dicom.assoc.ae.called -e dicom.userinfo.version | tr -s ' ' | sort | uniq -c
    echo "== DICOM PDU types (1 RQ, 2 AC, 3 RJ, 4 P-DATA, 5/6 RELEASE, 7 ABORT)"
    "${T[@]}" -Y dicom -T fields -e dicom.pdu.type | tr ',' '\n' | sort | uniq -c
    echo "== DIMSE commands (decoded Command Field of every PDV)"
    "${T[@]}" -Y 'dicom.pdu.type==4' -V | grep -E '\(0000,0100\)' | awk '{print $NF}' | sort | uniq -c
    echo "== HL7 (src dst type event)"
    "${T[@]}" -Y hl7 -T fields -e ip.src -e ip.dst -e hl7.message.type -e hl7.event.type
    echo "== HTTP requests"
    "${T[@]}" -Y http.request -T fields -e ip.src -e ip.dst -e http.request.method -e http.request.uri
    echo "== TLS ClientHello (src dst SNI)"
    "${T[@]}" -Y 'tls.handshake.type==1' -T fields -e ip.src -e ip.dst -e tls.handshake.extensions_server_name
    echo "== DNS answers (dst name rcode A)"
    "${T[@]}" -Y 'dns.flags.response==1' -T fields -e ip.dst -e dns.qry.name -e dns.flags.rcode -e dns.a
    echo "== ARP frames: $("${T[@]}" -Y arp | wc -l), TCP conversations: $("${T[@]}" -q -z conv,tcp | grep -c '<->')"
    if [[ -s $OUT/hospital-netflow.pcap ]]; then
      echo "== NetFlow export datagrams (count port version)"
      tshark -r "$OUT/hospital-netflow.pcap" -T fields -e udp.dstport -e cflow.version | sort | uniq -c
    fi
  } 2>/dev/null
}

# --- teardown ------------------------------------------------------------------
cmd_down() {
  if [[ -d $RUN/pids ]]; then
    local p
    for p in dumpcap dumpcap-nf; do stop_bg "$p" INT; done
    for p in "$RUN"/pids/*.pid; do [[ -e $p ]] && stop_bg "$(basename "$p" .pid)"; done
  fi
  net_down
  if [[ -d $RUN/logs ]]; then
    mkdir -p "$OUT/logs"; cp -r "$RUN/logs/." "$OUT/logs/"; rm -rf "$RUN/logs"
  fi
  rm -rf "$RUN"
  [[ ${1:-} == quiet ]] || log "lab down"
}

cmd_status() {
  local p
  for p in "$RUN"/pids/*.pid; do
    [[ -e $p ]] || continue
    printf '  %-24s pid %-8s %s\n' "$(basename "$p" .pid)" "$(<"$p")" "$(alive "$(<"$p")" && echo running || echo dead)"
  done
  ip netns list | awk '{print $1}' | grep "^$NSP-" || echo "  (no $NSP-* namespaces)"
}

cmd_all() {
  trap 'cmd_down quiet' EXIT   # processes and namespaces go away even on failure
  cmd_up
  cmd_capture
  cmd_down
  cmd_netflow
  cmd_down quiet
  trap - EXIT
}

# A signal ends the script through 'exit', so the EXIT trap of 'all' cleans up.
trap 'exit 143' TERM
trap 'exit 130' INT
[[ $EUID == 0 ]] || die "run as root (network namespaces, dumpcap, port 104)"
case $CMD in
  all) cmd_all ;;
  up) cmd_up ;;
  traffic) cmd_traffic ;;
  capture) cmd_capture ;;
  netflow) cmd_netflow ;;
  down) cmd_down ;;
  status) cmd_status ;;
  verify) cmd_verify ;;
  *) sed -n '2,25p' "$0"; exit 2 ;;
esac
