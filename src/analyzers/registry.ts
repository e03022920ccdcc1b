/**
 * Every analyzer the packet pipeline offers connections to, in the order
 * they are tried. Add new analyzers here (one line each).
 */
import type { DatagramAnalyzer, StreamAnalyzer } from '../decoders/analyzer.ts';
import { dicomAnalyzer } from './dicom/analyzer.ts';
import { hl7Analyzer } from './hl7/analyzer.ts';

export const streamAnalyzers: StreamAnalyzer[] = [dicomAnalyzer, hl7Analyzer];

export const datagramAnalyzers: DatagramAnalyzer[] = [];
