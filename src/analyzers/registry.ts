/**
 * Every analyzer the packet pipeline offers connections to, in the order
 * they are tried. Add new analyzers here (one line each).
 */
import type { DatagramAnalyzer, StreamAnalyzer } from '../decoders/analyzer.ts';
import { dicomAnalyzer } from './dicom/analyzer.ts';
import { hl7Analyzer } from './hl7/analyzer.ts';
import { httpAnalyzer } from './http/analyzer.ts';
import { tlsAnalyzer } from './tls/analyzer.ts';
import { dnsAnalyzer, dnsTcpAnalyzer } from './dns/analyzer.ts';

export const streamAnalyzers: StreamAnalyzer[] = [dicomAnalyzer, hl7Analyzer, tlsAnalyzer, httpAnalyzer, dnsTcpAnalyzer];

export const datagramAnalyzers: DatagramAnalyzer[] = [dnsAnalyzer];
