/**
 * Run lists of non-resident attributes (NTFS docs, "Data Runs"; ntfs-3g runlist.c
 * `ntfs_mapping_pairs_decompress`): each run is a header byte (low nibble: bytes of the length,
 * high nibble: bytes of the LCN delta), the length in clusters, then a signed LCN delta from the
 * previous run; no delta bytes means a sparse run (reads as zeros).
 */

export interface Run {
  /** First virtual cluster of the run in the attribute. */
  vcn: number;
  /** Clusters in the run. */
  length: number;
  /** First logical cluster on the volume, or undefined for a sparse run. */
  lcn: number | undefined;
}

/** Decodes the runs at `bytes[at…end)` starting at `startVcn`; returns the problem as a string. */
export function decodeRunlist(bytes: Uint8Array, at: number, end: number, startVcn: number, totalClusters: number): Run[] | string {
  const runs: Run[] = [];
  let vcn = startVcn;
  let lcn = 0;
  let p = at;
  while (p < end) {
    const header = bytes[p]!;
    if (header === 0) return runs;
    const lenBytes = header & 0x0f;
    const offBytes = header >> 4;
    if (lenBytes === 0 || lenBytes > 8 || offBytes > 8) return `run header 0x${header.toString(16)} at +0x${p.toString(16)} is malformed`;
    if (p + 1 + lenBytes + offBytes > end) return `run at +0x${p.toString(16)} runs past the attribute`;
    let length = 0;
    for (let i = lenBytes - 1; i >= 0; i--) length = length * 256 + bytes[p + 1 + i]!;
    let delta: number | undefined;
    if (offBytes > 0) {
      let d = 0n;
      for (let i = offBytes - 1; i >= 0; i--) d = (d << 8n) | BigInt(bytes[p + 1 + lenBytes + i]!);
      if (bytes[p + lenBytes + offBytes]! & 0x80) d -= 1n << BigInt(offBytes * 8);
      delta = Number(d);
    }
    if (length <= 0 || length > totalClusters) return `run at +0x${p.toString(16)} has length ${length} clusters (the volume has ${totalClusters})`;
    let runLcn: number | undefined;
    if (delta !== undefined) {
      lcn += delta;
      if (lcn < 0 || lcn + length > totalClusters) return `run at +0x${p.toString(16)} covers clusters ${lcn}..${lcn + length - 1}, outside the volume's ${totalClusters}`;
      runLcn = lcn;
    }
    runs.push({ vcn, length, lcn: runLcn });
    vcn += length;
    p += 1 + lenBytes + offBytes;
  }
  return 'run list has no terminating zero byte';
}
