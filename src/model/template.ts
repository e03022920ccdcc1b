/**
 * The starter model `wardline init` writes: small, valid, and commented so
 * that a network engineer can grow it into their site's model.
 */
export const STARTER_MODEL = `# Wardline site model: the hospital's zones and conduits as code.
# Reference: docs/site-model.md. Check it with: wardline model validate
# This file may be split into several files in one directory (site.yaml,
# zones.yaml, assets.yaml, conduits.yaml, partners.yaml); sections merge.

site:
  name: Example General Hospital
  timezone: Europe/Dublin          # IANA name; reports use it

# The six clinical processes are built in: radiology, patient-monitoring,
# medication-management, surgery, diagnostics, emr. Add your own here.
processes:
  - name: billing
    description: Claims and remittance with the clearinghouse

# Zones: address ranges that share security requirements (IEC 62443-3-2).
# kind: clinical | server | dmz | user | wireless | management | external
# securityLevel: target SL 1-4 (default 2). Zone CIDRs must not overlap.
zones:
  - name: radiology-modalities
    kind: clinical
    cidrs: [10.20.10.0/24]
    processes: [radiology]
    securityLevel: 2
  - name: imaging-servers
    kind: server
    cidrs: [10.20.20.0/24]
    processes: [radiology]
    securityLevel: 3
  - name: clinical-workstations
    kind: user
    cidrs: [10.80.0.0/22]
    processes: [radiology, emr]
  - name: billing
    kind: server
    cidrs: [10.30.30.0/24]
    processes: [billing]
  # Everything not in another zone. Partners are modelled below, not as zones.
  - name: internet
    kind: external
    cidrs: [0.0.0.0/0, ::/0]

# Assets: what lives in the zones. The zone is inferred from the address when
# omitted; phi and doNotProbe default by kind (modalities: phi, do not probe).
assets:
  - name: ct-scanner-01
    kind: ct
    address: 10.20.10.11
    vendor: Example Medical
    product: CT 64
    aeTitle: CT_SCANNER01
    criticality: high
    owner: Clinical Engineering
  - name: pacs-main
    kind: pacs
    address: 10.20.20.10
    vendor: Orthanc
    product: Orthanc
    version: "1.10.1"
    cpe: "cpe:2.3:a:orthanc-server:orthanc:1.10.1:*:*:*:*:*:*:*"
    aeTitle: PACS_MAIN
    criticality: critical
    owner: Radiology IT
  - name: radiology-ws-01
    kind: workstation
    address: 10.80.1.21
    aeTitle: RAD_WS01
  - name: billing-gateway
    kind: other
    address: 10.30.30.10
    phi: true
    process: billing

# Partners: external parties, by address and/or hostname.
partners:
  - name: clearinghouse
    kind: clearinghouse
    addresses: [198.51.100.20]
    hostnames: [edi.clearinghouse.example]

# Conduits: the only allowed communication between zones, assets and partners.
# Endpoints: zone:NAME, asset:NAME or partner:NAME.
# Services: dicom, dicom-tls, hl7, https, http, fhir, dns, ssh, rdp, smb,
#   or tcp/PORT[,PORT|-RANGE][:protocol], udp/PORT.
conduits:
  - id: modalities-to-pacs
    from: zone:radiology-modalities
    to: asset:pacs-main
    services: [dicom]
    dicom:
      calledAeTitles: [PACS_MAIN]
    owner: Radiology IT
    justification: Modalities send acquired images to the PACS (C-STORE)
  - id: workstations-query-pacs
    from: zone:clinical-workstations
    to: asset:pacs-main
    services: [dicom]
    owner: Radiology IT
    justification: Reading rooms query and retrieve studies (C-FIND, C-MOVE)
  - id: billing-to-clearinghouse
    from: asset:billing-gateway
    to: partner:clearinghouse
    services: [tcp/2575:hl7]
    tlsRequired: true             # PHI leaving the site must be encrypted
    hl7:
      messageTypes: [DFT^P03, BAR^P01]
    owner: Revenue Cycle
    justification: Charges and accounts to the clearinghouse
    expires: 2030-12-31           # conduits can expire; validate warns after
`;
