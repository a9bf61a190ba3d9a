/**
 * The publish plan: one change per package — `create` (upload it) or `unchanged` (the container
 * already holds those bytes) — from what the container holds under each package's blob name.
 *
 * Blob names are versioned and content-addressed: `<name>/<version>/<sha256 lower-case>/<name>.zip`.
 * Machines cache packages by name and version, and a guest assignment points at one URL; with the
 * content's hash in the name, a new build never overwrites bytes a running assignment downloads, a
 * re-publish of the same build finds every blob in place and uploads nothing, and one changed
 * package is exactly one upload. The file name stays `<name>.zip`, as Machine Configuration expects.
 *
 * Same name therefore means same content by construction, but the container is checked anyway:
 * a blob under the name whose size or recorded SHA-256 differs is an error naming the blob (someone
 * wrote it by hand, or storage is not what it claims) — never an overwrite.
 */
import { DriftscanError } from '../core/diagnostics.js';
import { planChange, type Plan, type PlannedChange } from './plan.js';

export interface PackageToPublish {
  name: string;
  version: string;
  /** Upper-case hex SHA-256. */
  contentHash: string;
  size: number;
}

/** What the container holds under a package's blob name (`sha256` upper-case hex: from metadata, or hashed by download). */
export type PublishedBlob = { exists: false } | { exists: true; size: number; sha256: string };

/** The versioned, content-addressed blob name of a package. */
export function packageBlobName(p: Pick<PackageToPublish, 'name' | 'version' | 'contentHash'>): string {
  return `${p.name}/${p.version}/${p.contentHash.toLowerCase()}/${p.name}.zip`;
}

export interface PublishTarget {
  /** The container URL, no trailing slash (no query: it is printed). */
  containerUrl: string;
  /** The URL of a blob name (no query). */
  blobUrl: (name: string) => string;
}

/** The error for a blob that holds other bytes than the package it is named after. */
export function contentMismatch(p: PackageToPublish, url: string, found: { size: number; sha256: string }): DriftscanError {
  return new DriftscanError(
    `blob ${url} holds ${found.size} bytes with SHA-256 ${found.sha256}, but package ${p.name} ${p.version} is ${p.size} bytes with contentHash ${p.contentHash}: ` +
      'a content-addressed blob must never change — find out who wrote it and delete it; publish does not overwrite it',
    { kind: 'service' },
  );
}

/** One planned change per package (`kind: blob`, wave 0); throws on a blob whose content differs. */
export function planPackageUploads(packages: readonly PackageToPublish[], found: ReadonlyMap<string, PublishedBlob>, target: PublishTarget): Plan {
  const changes: PlannedChange[] = packages.map((p) => {
    const name = packageBlobName(p);
    const url = target.blobUrl(name);
    const state = found.get(name) ?? { exists: false };
    const desired = { contentHash: p.contentHash, size: p.size };
    if (state.exists && (state.size !== p.size || state.sha256 !== p.contentHash)) throw contentMismatch(p, url, state);
    return planChange({
      kind: 'blob',
      id: url,
      name,
      wave: 0,
      desired,
      actual: state.exists ? { contentHash: state.sha256, size: state.size } : undefined,
      note: state.exists ? `${p.name} ${p.version}: already published (SHA-256 matches)` : `${p.name} ${p.version}: upload ${p.size} bytes`,
    });
  });
  return { command: 'publish', target: target.containerUrl, changes };
}
